package eks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/store"
)

// Add-on statuses.
const (
	AddonCreating     = "CREATING"
	AddonActive       = "ACTIVE"
	AddonCreateFailed = "CREATE_FAILED"
	AddonUpdating     = "UPDATING"
	AddonDeleting     = "DELETING"
	AddonDegraded     = "DEGRADED"
)

// Addon is an EKS add-on installed in a cluster.
type Addon struct {
	Name                  string            `json:"name"`
	ARN                   string            `json:"arn"`
	ClusterName           string            `json:"clusterName"`
	ClusterUID            string            `json:"clusterUid"`
	Region                string            `json:"region"`
	Version               string            `json:"version"`
	ServiceAccountRoleARN string            `json:"serviceAccountRoleArn,omitempty"`
	ConfigurationValues   string            `json:"configurationValues,omitempty"`
	Tags                  map[string]string `json:"tags,omitempty"`
	CreatedAt             time.Time         `json:"createdAt"`
	ModifiedAt            time.Time         `json:"modifiedAt"`
	Generation            int64             `json:"generation"`
	DeletionRequested     bool              `json:"deletionRequested,omitempty"`
	Preserve              bool              `json:"preserve,omitempty"` // leave the Kubernetes objects on delete
	Status                string            `json:"status"`
	Issues                []Issue           `json:"issues,omitempty"`
}

// AddonKind is an add-on keks offers, with the version it runs for each
// Kubernetes minor version.
type AddonKind struct {
	Name, Type string
	Owner      string // "aws" unless it says otherwise ("community")
	// Versions returns the add-on versions for a cluster version, default first.
	Versions func(k kubeversions.Version) []string
}

// Addons keks can install: the three EKS installs on every new cluster.
var AddonKinds = []AddonKind{
	{Name: "coredns", Type: "networking", Versions: func(kubeversions.Version) []string { return []string{k8sbuild.CoreDNSAddonVersion} }},
	{Name: "kube-proxy", Type: "networking", Versions: func(k kubeversions.Version) []string { return []string{"v" + k.Patch + "-eksbuild.1"} }},
	{Name: "vpc-cni", Type: "networking", Versions: func(kubeversions.Version) []string { return []string{"v1.20.4-eksbuild.1"} }},
	// keks's own agent (cmd/eks-pod-identity-agent), seeded as
	// eks/eks-pod-identity-agent:<version>.
	{Name: "eks-pod-identity-agent", Type: "security", Versions: func(kubeversions.Version) []string { return []string{PodIdentityAgentVersion} }},
	// The community add-on: upstream metrics-server, built by keks from the
	// Go module proxy and seeded as eks/metrics-server:<version>.
	{Name: "metrics-server", Type: "observability", Owner: "community", Versions: func(kubeversions.Version) []string { return []string{MetricsServerVersion} }},
	// AWS's driver built from the Go module proxy, with the CSI sidecars the
	// proxy serves and keks's for those it does not (cmd/csi-sidecars).
	{Name: "aws-ebs-csi-driver", Type: "storage", Versions: func(kubeversions.Version) []string {
		return []string{"v" + k8sbuild.EBSCSIDriverVersion + "-eksbuild.1"}
	}},
	{Name: "snapshot-controller", Type: "storage", Versions: func(kubeversions.Version) []string {
		return []string{"v" + k8sbuild.SnapshotterVersion + "-eksbuild.1"}
	}},
	// keks's own offer, not an EKS add-on: Karpenter's AWS provider, built
	// unchanged from the Go module proxy and seeded as
	// karpenter/controller:<version>, so that a cluster gets it as it gets
	// metrics-server (real EKS users install it with Helm).
	{Name: "karpenter", Type: "autoscaling", Owner: "community", Versions: func(kubeversions.Version) []string {
		return []string{"v" + k8sbuild.KarpenterVersion + "-eksbuild.1"}
	}},
}

// MetricsServerVersion is the metrics-server add-on's version.
const MetricsServerVersion = "v" + k8sbuild.MetricsServerVersion + "-eksbuild.1"

// PodIdentityAgentVersion is the eks-pod-identity-agent add-on's version.
const PodIdentityAgentVersion = "v1.3.10-eksbuild.1"

// DefaultAddons are installed on every new cluster.
var DefaultAddons = []string{"vpc-cni", "kube-proxy", "coredns"}

// OwnerName is who owns the add-on as DescribeAddonVersions says: aws, or
// community for the community add-ons.
func (k AddonKind) OwnerName() string {
	if k.Owner == "" {
		return "aws"
	}
	return k.Owner
}

// LookupAddonKind finds an add-on by name.
func LookupAddonKind(name string) (AddonKind, bool) {
	i := slices.IndexFunc(AddonKinds, func(k AddonKind) bool { return k.Name == name })
	if i < 0 {
		return AddonKind{}, false
	}
	return AddonKinds[i], true
}

func addonPrefix(clusterUID string) string    { return "eks/addons/" + clusterUID + "/" }
func addonKey(clusterUID, name string) string { return addonPrefix(clusterUID) + name }

// AddonPrefix is where add-ons live in the store.
const AddonPrefix = "eks/addons/"

func addonNotFound(cluster, name string) error {
	return awserr.Errorf(CodeResourceNotFound, "No addon: %s found in cluster: %s", name, cluster).With("clusterName", cluster).With("addonName", name)
}

func addonInvalid(cluster, name, format string, args ...any) error {
	return awserr.Errorf(CodeInvalidParameter, format, args...).With("clusterName", cluster).With("addonName", name)
}

// CreateAddonInput is CreateAddon's request, decoded.
type CreateAddonInput struct {
	Region, ClusterName, Name, Version string
	ServiceAccountRoleARN              string
	ResolveConflicts                   string
	ConfigurationValues                string
	Tags                               map[string]string
}

// CreateAddon validates a request and records a CREATING add-on.
func (s *Service) CreateAddon(ctx context.Context, in CreateAddonInput) (*Addon, error) {
	c, err := s.GetCluster(ctx, in.Region, in.ClusterName)
	if err != nil {
		return nil, err
	}
	if c.Status.Phase == StatusDeleting {
		return nil, awserr.Errorf(CodeInvalidRequest, "Cluster '%s' is being deleted", c.Name).With("clusterName", c.Name)
	}
	return s.createAddon(ctx, c, in)
}

func (s *Service) createAddon(ctx context.Context, c *Cluster, in CreateAddonInput) (*Addon, error) {
	// An add-on that exists is in use, whatever else the request says.
	if _, ok := LookupAddonKind(in.Name); ok {
		var existing Addon
		if _, err := s.Store.Get(ctx, addonKey(c.UID, in.Name), &existing); err == nil {
			return nil, awserr.Errorf(CodeResourceInUse, "Addon already exists.").With("clusterName", c.Name).With("addonName", in.Name)
		}
	}
	a, err := s.newAddon(c, in)
	if err != nil {
		return nil, err
	}
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		// The add-on lands only while its cluster is still the one checked.
		cur, err := s.clusterAsChecked(ctx, t, c)
		if err != nil {
			return err
		}
		if cur.Status.Phase == StatusDeleting {
			return awserr.Errorf(CodeInvalidRequest, "Cluster '%s' is being deleted", c.Name).With("clusterName", c.Name)
		}
		var existing Addon
		if _, err := s.Store.Get(ctx, addonKey(c.UID, a.Name), &existing); err == nil {
			return awserr.Errorf(CodeResourceInUse, "Addon already exists.").With("clusterName", c.Name).With("addonName", in.Name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		t.Create(addonKey(c.UID, a.Name), a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// newAddon checks a new add-on of cluster c and makes its record.
func (s *Service) newAddon(c *Cluster, in CreateAddonInput) (*Addon, error) {
	kind, ok := LookupAddonKind(in.Name)
	if !ok {
		return nil, addonInvalid(c.Name, in.Name, "Addon %s specified is not supported; keks offers coredns, kube-proxy, vpc-cni and eks-pod-identity-agent", in.Name)
	}
	version, err := addonVersion(c, kind, in.Version)
	if err != nil {
		return nil, err
	}
	if err := checkAddonOptions(c.Name, in.Name, in.ResolveConflicts, in.ConfigurationValues); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	return &Addon{
		Name: in.Name, ClusterName: c.Name, ClusterUID: c.UID, Region: c.Region, Version: version,
		ServiceAccountRoleARN: in.ServiceAccountRoleARN, ConfigurationValues: in.ConfigurationValues, Tags: in.Tags,
		CreatedAt: now, ModifiedAt: now, Generation: 1, Status: AddonCreating,
		ARN: fmt.Sprintf("arn:aws:eks:%s:%s:addon/%s/%s/%s", c.Region, c.Account, c.Name, in.Name, uuid.NewString()),
	}, nil
}

func addonVersion(c *Cluster, kind AddonKind, want string) (string, error) {
	kv, ok := kubeversions.Lookup(c.Spec.Version)
	if !ok {
		return "", addonInvalid(c.Name, kind.Name, "Cluster version %s is not known", c.Spec.Version)
	}
	versions := kind.Versions(kv)
	if want == "" {
		return versions[0], nil
	}
	if !slices.Contains(versions, want) {
		return "", addonInvalid(c.Name, kind.Name, "Addon version specified is not supported. Supported versions for %s on Kubernetes %s: %v", kind.Name, c.Spec.Version, versions)
	}
	return want, nil
}

func checkAddonOptions(cluster, name, resolve, config string) error {
	if resolve != "" && !slices.Contains([]string{"OVERWRITE", "NONE", "PRESERVE"}, resolve) {
		return addonInvalid(cluster, name, "1 validation error detected: Value '%s' at 'resolveConflicts' failed to satisfy constraint: Member must satisfy enum value set: [OVERWRITE, NONE, PRESERVE]", resolve)
	}
	if name == "coredns" {
		if _, err := ParseCoreDNSConfig(config); err != nil {
			return addonInvalid(cluster, name, "ConfigurationValue provided in request is not supported: %s", err)
		}
		return nil
	}
	if config != "" && config != "{}" {
		return addonInvalid(cluster, name, "ConfigurationValue provided in request is not supported: keks add-ons take no configuration values yet")
	}
	return nil
}

// GetAddon reads one add-on.
func (s *Service) GetAddon(ctx context.Context, region, cluster, name string) (*Addon, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, err
	}
	var a Addon
	if _, err := s.Store.Get(ctx, addonKey(c.UID, name), &a); errors.Is(err, store.ErrNotFound) {
		return nil, addonNotFound(cluster, name)
	} else if err != nil {
		return nil, err
	}
	return &a, nil
}

// Addons returns a cluster's add-ons.
func (s *Service) Addons(ctx context.Context, clusterUID string) ([]Addon, error) {
	return store.List[Addon](ctx, s.Store, addonPrefix(clusterUID))
}

// ListAddons pages through a cluster's add-on names.
func (s *Service) ListAddons(ctx context.Context, region, cluster string, maxResults int, nextToken string) ([]string, string, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, "", err
	}
	all, err := s.Addons(ctx, c.UID)
	if err != nil {
		return nil, "", err
	}
	names := make([]string, 0, len(all))
	for _, a := range all {
		names = append(names, a.Name)
	}
	return Page(names, maxResults, nextToken)
}

// DeleteAddon starts removing an add-on; preserve keeps its Kubernetes objects.
func (s *Service) DeleteAddon(ctx context.Context, region, cluster, name string, preserve bool) (*Addon, error) {
	a, err := s.GetAddon(ctx, region, cluster, name)
	if err != nil {
		return nil, err
	}
	return s.SetAddon(ctx, a, func(a *Addon) error {
		a.DeletionRequested, a.Preserve, a.Status = true, preserve, AddonDeleting
		a.Generation++
		a.ModifiedAt = s.Now().UTC()
		return nil
	})
}

// SetAddon changes an add-on record.
func (s *Service) SetAddon(ctx context.Context, a *Addon, fn func(*Addon) error) (*Addon, error) {
	out, err := store.Mutate(ctx, s.Store, addonKey(a.ClusterUID, a.Name), fn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, addonNotFound(a.ClusterName, a.Name)
	}
	return out, err
}

// ForgetAddon removes a deleted add-on's record and updates.
func (s *Service) ForgetAddon(ctx context.Context, a *Addon) error {
	return s.forget(ctx, a.ClusterUID, addonKey(a.ClusterUID, a.Name), func(u *Update) bool { return u.Addon == a.Name })
}

// UpdateAddonInput is UpdateAddon's request, decoded.
type UpdateAddonInput struct {
	Region, ClusterName, Name, Version string
	ServiceAccountRoleARN              *string
	ResolveConflicts                   string
	ConfigurationValues                *string
}

// UpdateAddon records a version or setting change of an add-on.
func (s *Service) UpdateAddon(ctx context.Context, in UpdateAddonInput) (*Update, error) {
	a, err := s.GetAddon(ctx, in.Region, in.ClusterName, in.Name)
	if err != nil {
		return nil, err
	}
	c, err := s.GetCluster(ctx, in.Region, in.ClusterName)
	if err != nil {
		return nil, err
	}
	if a.Status != AddonActive && a.Status != AddonDegraded {
		return nil, awserr.Errorf(CodeResourceInUse, "Addon %s is in %s status and cannot be updated", a.Name, a.Status).With("clusterName", c.Name).With("addonName", a.Name)
	}
	kind, _ := LookupAddonKind(a.Name)
	next := *a
	var params []UpdateParam
	if in.Version != "" {
		v, err := addonVersion(c, kind, in.Version)
		if err != nil {
			return nil, err
		}
		next.Version = v
		params = append(params, UpdateParam{"AddonVersion", v})
	}
	cfg := ""
	if in.ConfigurationValues != nil {
		cfg = *in.ConfigurationValues
		next.ConfigurationValues = cfg
		params = append(params, UpdateParam{"ConfigurationValues", cfg})
	}
	if err := checkAddonOptions(c.Name, a.Name, in.ResolveConflicts, cfg); err != nil {
		return nil, err
	}
	if in.ServiceAccountRoleARN != nil {
		next.ServiceAccountRoleARN = *in.ServiceAccountRoleARN
		params = append(params, UpdateParam{"ServiceAccountRoleArn", *in.ServiceAccountRoleARN})
	}
	if in.ResolveConflicts != "" {
		params = append(params, UpdateParam{"ResolveConflicts", in.ResolveConflicts})
	}
	upd := Update{ID: uuid.NewString(), ClusterUID: c.UID, ClusterName: c.Name, Addon: a.Name, Type: "AddonUpdate",
		Status: UpdateInProgress, Params: params, CreatedAt: s.Now().UTC(), Errors: []UpdateError{}}
	key := addonKey(a.ClusterUID, a.Name)
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		var cur Addon
		rev, err := s.Store.Get(ctx, key, &cur)
		if errors.Is(err, store.ErrNotFound) {
			return addonNotFound(c.Name, a.Name)
		} else if err != nil {
			return err
		}
		if cur.Generation != a.Generation {
			return awserr.Errorf(CodeResourceInUse, "Addon %s changed while the update was being made; try again", a.Name).With("clusterName", c.Name).With("addonName", a.Name)
		}
		// What the controller observes, and tags, change without a new generation: keep them.
		updated := next
		updated.Issues, updated.Tags = cur.Issues, cur.Tags
		updated.Generation, updated.Status, updated.ModifiedAt = cur.Generation+1, AddonUpdating, s.Now().UTC()
		upd.Generation = updated.Generation
		t.Unchanged(key, rev)
		t.Put(key, &updated)
		t.Create(updateKey(c.UID, upd.ID), &upd)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record update of add-on %s: %w", a.Name, err)
	}
	return &upd, nil
}

// AddonUpdates returns an add-on's InProgress updates, for its controller.
func (s *Service) AddonUpdates(ctx context.Context, a *Addon) ([]Update, error) {
	return s.inProgress(ctx, a.ClusterUID, "", a.Name)
}
