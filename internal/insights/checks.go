package insights

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeversions"
)

// The checks keks runs; an insight's Check says which it is.
const (
	CheckDeprecatedAPIs = "deprecated-apis"
	CheckKubeletSkew    = "kubelet-version-skew"
	CheckAddons         = "addon-version-compatibility"
)

// Node is a cluster node's kubelet, for the skew check.
type Node struct {
	Name, KubeletVersion string
}

// Observed is what one refresh read of a cluster; an error makes the
// check that needed it UNKNOWN.
type Observed struct {
	Cluster *eks.Cluster
	Target  string // the version the checks are for: the next minor
	Now     time.Time
	Seen    []Seen // deprecated APIs used in the last 30 days
	SeenErr error
	// ClientStats are the clients of each deprecated API (keyed by
	// useKey), when an audit log says; nil otherwise.
	ClientStats map[string][]ClientStat
	Nodes       []Node
	NodesErr    error
	Addons      []eks.Addon
	AddonsErr   error
}

// NextMinor is the minor version after v ("1.37" → "1.38"), whether or not
// keks offers it: the checks look at what that version removes all the same.
func NextMinor(v string) (string, error) {
	major, minor, err := kubeversions.ParseMinor(v)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d.%d", major, minor+1), nil
}

// insightID is stable per cluster, check and target version: a refresh
// updates the same insight, and a new target makes a new one.
func insightID(clusterUID, check, target string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("keks-insight/"+clusterUID+"/"+check+"/"+target)).String()
}

// Evaluate runs every check on what a refresh observed.
func Evaluate(o Observed) []Insight {
	return []Insight{deprecatedAPIs(o), kubeletSkew(o), addonCompatibility(o)}
}

const deprecationGuide = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"
const updateDocs = "https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html"

// replacement says what took a deprecated API's place, and since when.
type replacement struct{ path, since string }

// replacements of the deprecated APIs keks's versions still serve, keyed by
// group/version/resource (group empty for the core group).
var replacements = map[string]replacement{
	"/v1/endpoints":         {"/apis/discovery.k8s.io/v1/endpointslices", "1.21"},
	"/v1/componentstatuses": {}, // none: ask the components' own health endpoints
}

// ownUse are deprecated APIs the control plane itself uses on every
// cluster (the endpoints controller and the API servers still write v1
// Endpoints): the metric cannot tell their requests from a client's, and
// EKS, which can (from the audit log), does not report them.
var ownUse = map[string]bool{"/v1/endpoints": true}

func apiPath(s Seen) string {
	p := "/apis/" + s.Group + "/" + s.Version + "/" + s.Resource
	if s.Group == "" {
		p = "/api/" + s.Version + "/" + s.Resource
	}
	if s.Subresource != "" {
		p += "/{name}/" + s.Subresource
	}
	return p
}

func deprecatedAPIs(o Observed) Insight {
	in := Insight{
		ID: insightID(o.Cluster.UID, CheckDeprecatedAPIs, o.Target), Check: CheckDeprecatedAPIs, Name: "Deprecated APIs removed in Kubernetes v" + o.Target,
		Category: CategoryUpgradeReadiness, KubernetesVersion: o.Target,
		Description:    fmt.Sprintf("Checks for usage of deprecated APIs that are scheduled for removal in Kubernetes v%s. Upgrading your cluster before migrating to the updated APIs supported by v%s could cause application impact.", o.Target, o.Target),
		Recommendation: fmt.Sprintf("Update manifests and API clients to use newer Kubernetes APIs if applicable before upgrading to Kubernetes v%s.", o.Target),
		AdditionalInfo: map[string]string{"Kubernetes REST API deprecation guide": deprecationGuide, "EKS update cluster documentation": updateDocs},
	}
	if o.SeenErr != nil {
		in.Status, in.Reason = StatusUnknown, "Unable to read the API servers' deprecated API usage: "+o.SeenErr.Error()
		return in
	}
	worst := StatusPassing
	for _, s := range o.Seen {
		key := s.Group + "/" + s.Version + "/" + s.Resource
		if ownUse[key] {
			continue
		}
		status := StatusWarning // deprecated, removed after the target or not yet scheduled
		if s.RemovedRelease != "" && !kubeversions.Less(o.Target, s.RemovedRelease) {
			status = StatusError
		}
		r := replacements[key]
		stats := o.ClientStats[useKey(DeprecatedUse{Group: s.Group, Version: s.Version, Resource: s.Resource, Subresource: s.Subresource})]
		in.Deprecations = append(in.Deprecations, Deprecation{Usage: apiPath(s), ReplacedWith: r.path,
			StopServingVersion: s.RemovedRelease, StartServingReplacementVersion: r.since, ClientStats: stats})
		in.Resources = append(in.Resources, Resource{KubernetesResourceURI: apiPath(s), Status: status,
			Reason: fmt.Sprintf("Deprecated API %s was last requested %s", apiPath(s), s.LastSeen.UTC().Format(time.RFC3339))})
		worst = worse(worst, status)
	}
	in.conclude(worst, reasons{
		failing: fmt.Sprintf("Deprecated API usage detected within last 30 days of APIs removed in Kubernetes v%s.", o.Target),
		warning: "Deprecated API usage detected within last 30 days.",
		passing: "No deprecated API usage detected within the last 30 days.",
	})
	return in
}

// kubeletSkew checks the nodes against Kubernetes's skew policy after the
// upgrade: a kubelet may be up to three minors older than the API server,
// never newer.
func kubeletSkew(o Observed) Insight {
	in := Insight{
		ID: insightID(o.Cluster.UID, CheckKubeletSkew, o.Target), Check: CheckKubeletSkew, Name: "Kubelet version skew",
		Category: CategoryUpgradeReadiness, KubernetesVersion: o.Target,
		Description:    "Checks for kubelet versions of worker nodes in the cluster to see if upgrade would cause noncompliance with supported Kubernetes kubelet version skew policy.",
		Recommendation: "Upgrade your worker nodes to match the Kubernetes version of your cluster control plane.",
		AdditionalInfo: map[string]string{"Kubelet version skew policy": "https://kubernetes.io/releases/version-skew-policy/#kubelet",
			"Updating a managed node group": "https://docs.aws.amazon.com/eks/latest/userguide/update-managed-node-group.html"},
	}
	if o.NodesErr != nil {
		in.Status, in.Reason = StatusUnknown, "Unable to list the cluster's nodes: "+o.NodesErr.Error()
		return in
	}
	_, target, _ := kubeversions.ParseMinor(o.Target)
	worst := StatusPassing
	nodes := slices.Clone(o.Nodes)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	for _, n := range nodes {
		_, minor, err := kubeversions.ParseMinor(strings.TrimPrefix(n.KubeletVersion, "v"))
		if err != nil {
			continue
		}
		skew := target - minor
		status, reason := StatusPassing, ""
		switch {
		case skew > 3:
			status, reason = StatusError, fmt.Sprintf("Kubelet %s would be %d minor versions older than the control plane on v%s; at most 3 are supported", n.KubeletVersion, skew, o.Target)
		case skew == 3:
			status, reason = StatusWarning, fmt.Sprintf("Kubelet %s would be at the maximum supported skew (3 minor versions) on v%s; upgrade it before the following upgrade", n.KubeletVersion, o.Target)
		case skew < 0:
			status, reason = StatusError, fmt.Sprintf("Kubelet %s is newer than the control plane on v%s", n.KubeletVersion, o.Target)
		}
		if status != StatusPassing {
			in.Resources = append(in.Resources, Resource{KubernetesResourceURI: "/api/v1/nodes/" + n.Name, Status: status, Reason: reason})
			worst = worse(worst, status)
		}
	}
	in.conclude(worst, reasons{
		failing: "Node kubelet versions would not comply with the version skew policy after the upgrade.",
		warning: "Node kubelet versions would be at the limit of the version skew policy after the upgrade.",
		passing: "Node kubelet versions match the cluster control plane version within the supported skew.",
	})
	return in
}

// addonCompatibility checks the installed add-ons' versions against those
// keks offers on the target version.
func addonCompatibility(o Observed) Insight {
	in := Insight{
		ID: insightID(o.Cluster.UID, CheckAddons, o.Target), Check: CheckAddons, Name: "Amazon EKS add-on version compatibility",
		Category: CategoryUpgradeReadiness, KubernetesVersion: o.Target,
		Description:    "Checks version of installed EKS add-ons to ensure they are compatible with the next version of Kubernetes.",
		Recommendation: fmt.Sprintf("Upgrade your EKS add-ons to a version compatible with Kubernetes v%s before upgrading the cluster.", o.Target),
		AdditionalInfo: map[string]string{"Amazon EKS add-ons": "https://docs.aws.amazon.com/eks/latest/userguide/eks-add-ons.html"},
	}
	if o.AddonsErr != nil {
		in.Status, in.Reason = StatusUnknown, "Unable to read the cluster's add-ons: "+o.AddonsErr.Error()
		return in
	}
	target, ok := kubeversions.Lookup(o.Target)
	if !ok || target.Minor != o.Target {
		in.Status, in.Reason = StatusUnknown, fmt.Sprintf("Amazon EKS does not offer Kubernetes v%s yet.", o.Target)
		return in
	}
	worst := StatusPassing
	addons := slices.Clone(o.Addons)
	sort.Slice(addons, func(i, j int) bool { return addons[i].Name < addons[j].Name })
	for _, a := range addons {
		kind, ok := eks.LookupAddonKind(a.Name)
		if !ok {
			continue
		}
		versions := kind.Versions(target)
		if slices.Contains(versions, a.Version) {
			continue
		}
		in.Addons = append(in.Addons, AddonDetail{Name: a.Name, CompatibleVersions: versions})
		in.Resources = append(in.Resources, Resource{ARN: a.ARN, Status: StatusError,
			Reason: fmt.Sprintf("Add-on %s version %s is not supported on Kubernetes v%s", a.Name, a.Version, o.Target)})
		worst = StatusError
	}
	in.conclude(worst, reasons{
		failing: fmt.Sprintf("Installed add-on versions are not compatible with Kubernetes v%s.", o.Target),
		passing: fmt.Sprintf("All installed add-on versions are compatible with Kubernetes v%s.", o.Target),
	})
	return in
}

// reasons are what an insight says for each outcome of its check.
type reasons struct{ failing, warning, passing string }

// conclude gives the insight the worst status its resources reached and
// the reason for it.
func (in *Insight) conclude(worst string, r reasons) {
	in.Status = worst
	switch worst {
	case StatusError:
		in.Reason = r.failing
	case StatusWarning:
		in.Reason = r.warning
	default:
		in.Reason = r.passing
	}
}

var severity = map[string]int{StatusPassing: 0, StatusUnknown: 1, StatusWarning: 2, StatusError: 3}

func worse(a, b string) string {
	if severity[b] > severity[a] {
		return b
	}
	return a
}
