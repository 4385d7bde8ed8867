package ec2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// CreateVolumeInput is a CreateVolume request.
type CreateVolumeInput struct {
	Region, Account string
	Zone            string // name or id
	VolumeRequest
	SnapshotID  string
	Encrypted   bool
	KMSKeyID    string
	Tags        map[string]string
	ClientToken string
}

// KeyLookup resolves a KMS key id, ARN, alias name or alias ARN of an
// account and region to the key's ARN; enabled is false for a key that
// cannot be used (disabled, pending deletion).
type KeyLookup func(ctx context.Context, region, account, keyID string) (arn string, enabled bool, err error)

// maxClientToken is EC2's limit on a client token's length.
const maxClientToken = 64

// CreateVolume records a creating volume; the host's reconciler makes its
// bytes and marks it available. A ClientToken makes the call idempotent:
// the same token with the same parameters answers the volume it made.
//
// EC2 checks a KMS key asynchronously: with a key that does not exist or
// cannot be used, CreateVolume answers a creating volume that is then
// gone (InvalidVolume.NotFound), and its client token stays spent. keks
// answers the same, without recording the volume at all.
func (s *Service) CreateVolume(ctx context.Context, in CreateVolumeInput) (*Volume, error) {
	zone, err := volumeZone(in.Region, in.Zone)
	if err != nil {
		return nil, err
	}
	if len(in.ClientToken) > maxClientToken {
		return nil, awserr.Errorf(CodeInvalidParameterValue, "Value (%s) for parameter clientToken is invalid. Client tokens must be at most %d characters long.", in.ClientToken, maxClientToken)
	}
	if in.KMSKeyID != "" && !in.Encrypted {
		return nil, awserr.Errorf(CodeInvalidParameterDependency, "The parameter KmsKeyId requires the parameter Encrypted to be set.")
	}
	if err := ValidateTags(in.Tags); err != nil {
		return nil, err
	}
	v := &Volume{ID: newResourceID("vol"), Region: in.Region, Zone: zone, OwnerID: in.Account, State: VolumeCreating,
		CreateTime: time.Now().UTC(), Encrypted: in.Encrypted, KMSKeyID: in.KMSKeyID, SnapshotID: in.SnapshotID, Tags: in.Tags}
	snapshotSize := 0
	if in.SnapshotID != "" {
		snap, err := s.GetSnapshot(ctx, in.Region, in.SnapshotID)
		if err != nil {
			return nil, err
		}
		if snap.State != SnapshotCompleted {
			return nil, awserr.Errorf(CodeIncorrectState, "Snapshot is in invalid state - %s", snap.State)
		}
		snapshotSize = snap.VolumeSize
		// A volume of an encrypted snapshot is encrypted, under the snapshot's key unless told otherwise.
		if snap.Encrypted {
			v.Encrypted = true
			if v.KMSKeyID == "" {
				v.KMSKeyID = snap.KMSKeyID
			}
		}
	}
	spec, err := newVolumeSpec(in.VolumeRequest, in.SnapshotID, snapshotSize)
	if err != nil {
		return nil, err
	}
	v.setSpec(spec)
	usable := true
	if v.Encrypted {
		v.KMSKeyID, usable = s.volumeKey(ctx, in.Region, in.Account, v.KMSKeyID)
	}
	var out *Volume
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		out = nil
		if in.ClientToken != "" {
			prior, err := s.claimToken(ctx, t, in, v)
			if err != nil || prior != nil {
				out = prior
				return err
			}
		}
		if usable {
			t.Create(volumeKey(v.ID), v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out != nil {
		return out, nil
	}
	return v, nil
}

// volumeZone finds the zone a volume goes to, by name or id.
func volumeZone(region, zone string) (string, error) {
	if zone == "" {
		return "", awserr.Errorf(CodeMissingParameter, "The request must contain the parameter availabilityZone")
	}
	zones := Zones(region)
	if i := slices.IndexFunc(zones, func(z Zone) bool { return z.Name == zone || z.ID == zone }); i >= 0 {
		return zones[i].Name, nil
	}
	return "", awserr.Errorf(CodeInvalidZoneNotFound, "The zone '%s' does not exist.", zone)
}

// volumeKey resolves the KMS key of an encrypted volume to its ARN; usable
// is false when the key does not exist or cannot be used. Without a key
// EBS uses the account's AWS managed key, aws/ebs, which keks names by
// its alias.
func (s *Service) volumeKey(ctx context.Context, region, account, keyID string) (arn string, usable bool) {
	if keyID == "" {
		return fmt.Sprintf("arn:aws:kms:%s:%s:alias/aws/ebs", region, account), true
	}
	if s.KMSKey == nil || strings.HasSuffix(keyID, ":alias/aws/ebs") || keyID == "alias/aws/ebs" {
		return keyID, true
	}
	found, enabled, err := s.KMSKey(ctx, region, account, keyID)
	if err != nil || !enabled {
		return keyID, false
	}
	return found, true
}

// clientToken is a CreateVolume client token's record: the volume it made
// and what was asked, kept (ebs prunes them) after the volume is gone, so
// that the token stays spent as EC2 keeps it.
type clientToken struct {
	VolumeID  string    `json:"volumeId"`
	Request   string    `json:"request"`
	CreatedAt time.Time `json:"createdAt"`
}

// tokenKey names a token's record: per account and region, by a digest of
// the token, which may hold any character.
func tokenKey(region, account, token string) string {
	return tokenPrefix + region + "/" + account + "/" + digest(token)
}

// claimToken adds the token's record to t, or, when the token was used
// before, answers the volume it made (prior) or why it cannot.
func (s *Service) claimToken(ctx context.Context, t *store.Txn, in CreateVolumeInput, v *Volume) (prior *Volume, err error) {
	key := tokenKey(in.Region, in.Account, in.ClientToken)
	request := volumeRequestDigest(in, v)
	var tok clientToken
	rev, err := s.Store.Get(ctx, key, &tok)
	if errors.Is(err, store.ErrNotFound) {
		t.Create(key, &clientToken{VolumeID: v.ID, Request: request, CreatedAt: time.Now().UTC()})
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read client token: %w", err)
	}
	if tok.Request != request {
		return nil, awserr.Errorf(CodeIdempotentParameterMismatch, "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
	}
	existing, err := s.GetVolume(ctx, in.Region, tok.VolumeID)
	var ae *awserr.Error
	if errors.As(err, &ae) && ae.Code == CodeInvalidVolumeNotFound {
		return nil, awserr.Errorf(CodeIdempotentParameterMismatch, "The client token '%s' is associated with resource '%s' which has already been deleted. Please use a different client token.",
			in.ClientToken, tok.VolumeID)
	} else if err != nil {
		return nil, err
	}
	t.Unchanged(key, rev)
	return existing, nil
}

// volumeRequestDigest fingerprints what a CreateVolume asked, in the form
// the model decided it (so that a default given or left out is the same).
func volumeRequestDigest(in CreateVolumeInput, v *Volume) string {
	tags := make([]string, 0, len(in.Tags))
	for k, val := range in.Tags {
		tags = append(tags, k+"="+val)
	}
	slices.Sort(tags)
	return digest(fmt.Sprintf("%s|%d|%s|%d|%d|%t|%t|%s|%s|%q", v.Zone, v.Size, v.Type, v.Iops, v.Throughput, v.MultiAttach, v.Encrypted,
		in.KMSKeyID, in.SnapshotID, tags))
}

// digest is a hex SHA-256 of s.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
