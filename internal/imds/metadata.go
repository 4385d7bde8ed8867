package imds

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/ec2"
)

// value is one leaf of the metadata tree, computed when asked for.
type value func(ctx context.Context) (string, error)

func text(s string) value { return func(context.Context) (string, error) { return s, nil } }

// tree is an instance's metadata under /latest/, as leaf paths; the
// directories (listings) are what lies above them.
func (h *Handler) tree(in *ec2.Instance) map[string]value {
	t := map[string]value{
		"meta-data/ami-id":                         text(in.ImageID),
		"meta-data/hostname":                       text(in.PrivateDNSName()),
		"meta-data/instance-id":                    text(in.ID),
		"meta-data/instance-type":                  text(in.InstanceType),
		"meta-data/local-hostname":                 text(in.PrivateDNSName()),
		"meta-data/local-ipv4":                     text(in.PrivateIP),
		"meta-data/mac":                            text(mac(in)),
		"meta-data/placement/availability-zone":    text(in.Zone),
		"meta-data/placement/availability-zone-id": text(zoneID(in)),
		"meta-data/placement/region":               text(in.Region),
		"meta-data/services/domain":                text("amazonaws.com"),
		"meta-data/services/partition":             text("aws"),
		"dynamic/instance-identity/document":       func(context.Context) (string, error) { return identityDocument(in) },
	}
	if in.RoleARN != "" {
		t["meta-data/iam/info"] = func(context.Context) (string, error) { return iamInfo(in) }
		t["meta-data/iam/security-credentials/"+roleName(in)] = func(ctx context.Context) (string, error) { return h.credentials(ctx, in) }
	}
	if in.UserData != "" {
		t["user-data"] = text(in.UserData)
	}
	if in.KeyPublicKey != "" {
		// The launch key, with its name as the comment, as EC2 serves it.
		t["meta-data/public-keys/0/openssh-key"] = text(in.KeyPublicKey + " " + in.KeyName)
	}
	return t
}

// serveMetadata answers a leaf with its value and a directory with its
// entries, one a line, subdirectories ending in "/".
func (h *Handler) serveMetadata(w http.ResponseWriter, r *http.Request, in *ec2.Instance) {
	if r.URL.Path == "/" {
		reply(w, "latest") // the versions; keks serves only the latest
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/latest")
	if !ok || (rest != "" && rest[0] != '/') {
		h.refuse(w, http.StatusNotFound)
		return
	}
	path := strings.Trim(rest, "/") // a directory is asked for with or without its slash
	t := h.tree(in)
	if leaf, ok := t[path]; ok {
		body, err := leaf(r.Context())
		if err != nil {
			h.log().Warn("metadata not served", "instance", in.ID, "path", r.URL.Path, "err", err)
			h.refuse(w, http.StatusInternalServerError)
			return
		}
		reply(w, body)
		return
	}
	if path == "meta-data/public-keys" && in.KeyName != "" {
		reply(w, "0="+in.KeyName) // EC2 lists each key as <index>=<name>
		return
	}
	if entries := listing(t, path); len(entries) > 0 {
		reply(w, strings.Join(entries, "\n"))
		return
	}
	h.refuse(w, http.StatusNotFound)
}

// listing is what lies directly under dir in the tree.
func listing(t map[string]value, dir string) []string {
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	var entries []string
	for p := range t {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		if first, _, isDir := strings.Cut(rest, "/"); isDir {
			rest = first + "/"
		}
		entries = append(entries, rest)
	}
	slices.Sort(entries)
	return slices.Compact(entries)
}

func reply(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(body))
}

// identityDocument is dynamic/instance-identity/document, unsigned: keks
// has no AWS key to sign it with.
func identityDocument(in *ec2.Instance) (string, error) {
	return document(struct {
		AccountID               string   `json:"accountId"`
		Architecture            string   `json:"architecture"`
		AvailabilityZone        string   `json:"availabilityZone"`
		BillingProducts         []string `json:"billingProducts"`
		DevpayProductCodes      []string `json:"devpayProductCodes"`
		MarketplaceProductCodes []string `json:"marketplaceProductCodes"`
		ImageID                 string   `json:"imageId"`
		InstanceID              string   `json:"instanceId"`
		InstanceType            string   `json:"instanceType"`
		KernelID                *string  `json:"kernelId"`
		PendingTime             string   `json:"pendingTime"`
		PrivateIP               string   `json:"privateIp"`
		RamdiskID               *string  `json:"ramdiskId"`
		Region                  string   `json:"region"`
		Version                 string   `json:"version"`
	}{
		AccountID: in.OwnerID, Architecture: architecture(), AvailabilityZone: in.Zone, ImageID: in.ImageID,
		InstanceID: in.ID, InstanceType: in.InstanceType, PendingTime: timestamp(in.LaunchTime),
		PrivateIP: in.PrivateIP, Region: in.Region, Version: "2017-09-30",
	})
}

// architecture is the host's, in EC2's words: instances run on its CPU.
func architecture() string {
	if runtime.GOARCH == "arm64" {
		return "arm64"
	}
	return "x86_64"
}

func roleName(in *ec2.Instance) string { return in.RoleARN[strings.LastIndex(in.RoleARN, "/")+1:] }

// instanceProfileARN is the profile the instance was launched with, or,
// launched by a role's name, a profile named after its role at the
// role's path.
func instanceProfileARN(in *ec2.Instance) string {
	if in.InstanceProfileARN != "" {
		return in.InstanceProfileARN
	}
	return strings.Replace(in.RoleARN, ":role/", ":instance-profile/", 1)
}

// instanceProfileID is the id DescribeInstances reports for the instance's
// profile (ec2api): AIPA and the instance id's first ten digits, upper-cased.
func instanceProfileID(in *ec2.Instance) string {
	digits := strings.TrimPrefix(in.ID, "i-")
	return "AIPA" + strings.ToUpper(digits[:min(10, len(digits))])
}

// mac is a stable, locally administered address for the instance's
// interface, as EC2's are (02:...). It is derived, not read from the
// instance's eth0.
func mac(in *ec2.Instance) string {
	h := sha256.Sum256([]byte(in.ID))
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4])
}

func zoneID(in *ec2.Instance) string {
	for _, z := range ec2.Zones(in.Region) {
		if z.Name == in.Zone {
			return z.ID
		}
	}
	return ""
}
