package authn

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
)

// Snapshot is what a cluster's authenticator needs to verify tokens without
// keks: per access key, its owner and the SigV4 signing keys of the days and
// regions tokens may be signed for. Secrets themselves never leave keks.
type Snapshot struct {
	Cluster     ClusterIdentity        `json:"cluster"`
	STSHosts    []string               `json:"stsHosts"`
	Keys        map[string]SnapshotKey `json:"keys"`
	GeneratedAt time.Time              `json:"generatedAt"`
}

// ClusterIdentity is what identity mapping needs to know of a cluster.
type ClusterIdentity struct {
	Name           string `json:"name"`
	CreatorARN     string `json:"creatorArn"`
	BootstrapAdmin bool   `json:"bootstrapAdmin"`
	// NodeRoles are the roles EKS maps to system:node:{{EC2PrivateDNSName}}
	// (node group and self-managed node roles), as canonical role ARNs.
	NodeRoles []string `json:"nodeRoles,omitempty"`
	// Instances maps instance ids to private DNS names, for {{EC2PrivateDNSName}}.
	Instances map[string]string `json:"instances,omitempty"`
	// AuthenticationMode is the cluster's accessConfig: CONFIG_MAP (also
	// when empty, as in snapshots of older keks), API_AND_CONFIG_MAP or API.
	AuthenticationMode string `json:"authenticationMode,omitempty"`
	// AccessEntries are the cluster's access entries (API modes).
	AccessEntries []AccessEntry `json:"accessEntries,omitempty"`
	// AWSAuth is the cluster's kube-system/aws-auth (CONFIG_MAP modes).
	AWSAuth *AWSAuth `json:"awsAuth,omitempty"`
}

// AccessEntry is an access entry as the authenticator and the access
// policy authorizer need it.
type AccessEntry struct {
	PrincipalARN string         `json:"principalArn"` // canonical
	Type         string         `json:"type"`
	Username     string         `json:"username,omitempty"` // may hold {{SessionName}} and the like
	Groups       []string       `json:"groups,omitempty"`
	Policies     []AccessPolicy `json:"policies,omitempty"`
}

// AccessPolicy is an access policy associated with an entry: cluster-wide
// when Namespaces is empty.
type AccessPolicy struct {
	ARN        string   `json:"arn"`
	Namespaces []string `json:"namespaces,omitempty"`
}

// SnapshotKey is one access key as the authenticator sees it.
type SnapshotKey struct {
	Principal    awsproto.Principal `json:"principal"`
	SessionToken string             `json:"sessionToken,omitempty"`
	Expiration   time.Time          `json:"expiration,omitempty"`
	// Signing maps "yyyymmdd/region" to the hex signing key for service sts.
	Signing map[string]string `json:"signing"`
}

// Credential is an access key with its secret and owner, as keks's IAM holds it.
type Credential struct {
	Secret       string
	SessionToken string
	Expiration   time.Time
	Principal    awsproto.Principal
}

// NewSnapshot derives signing keys for yesterday, today and tomorrow (UTC) in
// each region, so tokens stay verifiable across midnight and clock skew.
func NewSnapshot(cluster ClusterIdentity, stsHosts []string, creds []Credential, regions []string, now time.Time) *Snapshot {
	s := &Snapshot{Cluster: cluster, STSHosts: stsHosts, Keys: map[string]SnapshotKey{}, GeneratedAt: now.UTC().Truncate(24 * time.Hour)}
	for _, c := range creds {
		k := SnapshotKey{Principal: c.Principal, SessionToken: c.SessionToken, Expiration: c.Expiration, Signing: map[string]string{}}
		for d := -1; d <= 1; d++ {
			date := now.UTC().AddDate(0, 0, d).Format("20060102")
			for _, r := range regions {
				k.Signing[date+"/"+r] = hex.EncodeToString(awsproto.SigningKey(c.Secret, date, r, "sts"))
			}
		}
		s.Keys[c.Principal.AccessKeyID] = k
	}
	return s
}

// Lookup finds the signing key of a credential scope in the snapshot.
func (s *Snapshot) Lookup(_ context.Context, cred awsproto.Credential) ([]byte, string, awsproto.Principal, error) {
	k, ok := s.Keys[cred.AccessKeyID]
	if !ok {
		return nil, "", awsproto.Principal{}, awserr.Errorf(awserr.CodeInvalidClientTokenID, "The security token included in the request is invalid.")
	}
	if !k.Expiration.IsZero() && time.Now().After(k.Expiration) {
		return nil, "", awsproto.Principal{}, awserr.Errorf(awserr.CodeExpiredToken, "The security token included in the request is expired")
	}
	hexKey, ok := k.Signing[cred.Date+"/"+cred.Region]
	if !ok || cred.Service != "sts" {
		return nil, "", awsproto.Principal{}, awserr.Errorf(awserr.CodeSignatureDoesNotMatch, "no signing key for %s in %s", cred.Date, cred.Region)
	}
	key, err := hex.DecodeString(hexKey)
	return key, k.SessionToken, k.Principal, err
}

// SnapshotFile is a snapshot on disk, reread when it changes.
type SnapshotFile struct {
	Path string

	mu      sync.Mutex
	modTime time.Time
	checked time.Time
	current *Snapshot
}

// Load returns the current snapshot, rereading the file at most once a second.
func (f *SnapshotFile) Load() (*Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current != nil && time.Since(f.checked) < time.Second {
		return f.current, nil
	}
	f.checked = time.Now()
	st, err := os.Stat(f.Path)
	if err != nil {
		if f.current != nil {
			return f.current, nil
		}
		return nil, fmt.Errorf("read identity snapshot: %w", err)
	}
	if f.current != nil && st.ModTime().Equal(f.modTime) {
		return f.current, nil
	}
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, err
	}
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		if f.current != nil {
			return f.current, nil // a half-written file; keep the last good one
		}
		return nil, fmt.Errorf("parse identity snapshot: %w", err)
	}
	f.current, f.modTime = &s, st.ModTime()
	return f.current, nil
}

// Lookup resolves against the current snapshot.
func (f *SnapshotFile) Lookup(ctx context.Context, cred awsproto.Credential) ([]byte, string, awsproto.Principal, error) {
	s, err := f.Load()
	if err != nil {
		return nil, "", awsproto.Principal{}, err
	}
	return s.Lookup(ctx, cred)
}
