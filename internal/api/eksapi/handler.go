package eksapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/insights"
	"github.com/keksdev/keks/internal/kms"
)

// Handler serves the EKS operations.
type Handler struct {
	EKS *eks.Service
	// KMS resolves the keys an encryptionConfig names, for the kms: checks
	// of CreateCluster and AssociateEncryptionConfig; nil checks none.
	KMS *kms.Service
	// Insights serves the cluster insights operations; nil serves none.
	Insights *insights.Service
}

// Service returns the front door's entry for EKS.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "eks", Checks: h.checks, Handle: h.handle}
}

type route struct {
	method string
	path   []string // literal segments, or "{}" for a label
	action string   // the IAM action, eks:<action>
	on     resourceKind
	op     func(h *Handler, w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error
}

var routes = []route{
	{"POST", []string{"clusters"}, "CreateCluster", newCluster, (*Handler).createCluster},
	{"GET", []string{"clusters"}, "ListClusters", noResource, (*Handler).listClusters},
	{"GET", []string{"clusters", "{}"}, "DescribeCluster", onCluster, (*Handler).describeCluster},
	{"DELETE", []string{"clusters", "{}"}, "DeleteCluster", onCluster, (*Handler).deleteCluster},
	{"POST", []string{"clusters", "{}", "update-config"}, "UpdateClusterConfig", onCluster, (*Handler).updateClusterConfig},
	{"POST", []string{"clusters", "{}", "updates"}, "UpdateClusterVersion", onCluster, (*Handler).updateClusterVersion},
	{"POST", []string{"clusters", "{}", "encryption-config", "associate"}, "AssociateEncryptionConfig", onCluster, (*Handler).associateEncryptionConfig},
	{"POST", []string{"clusters", "{}", "identity-provider-configs", "associate"}, "AssociateIdentityProviderConfig", onCluster, (*Handler).associateIdentityProviderConfig},
	{"POST", []string{"clusters", "{}", "identity-provider-configs", "describe"}, "DescribeIdentityProviderConfig", onIdPConfig, (*Handler).describeIdentityProviderConfig},
	{"GET", []string{"clusters", "{}", "identity-provider-configs"}, "ListIdentityProviderConfigs", onCluster, (*Handler).listIdentityProviderConfigs},
	{"POST", []string{"clusters", "{}", "identity-provider-configs", "disassociate"}, "DisassociateIdentityProviderConfig", onIdPConfig, (*Handler).disassociateIdentityProviderConfig},
	{"GET", []string{"clusters", "{}", "updates"}, "ListUpdates", onUpdateTarget, (*Handler).listUpdates},
	{"GET", []string{"clusters", "{}", "updates", "{}"}, "DescribeUpdate", onUpdateTarget, (*Handler).describeUpdate},
	{"POST", []string{"clusters", "{}", "node-groups"}, "CreateNodegroup", newNodegroup, (*Handler).createNodegroup},
	{"GET", []string{"clusters", "{}", "node-groups"}, "ListNodegroups", onCluster, (*Handler).listNodegroups},
	{"GET", []string{"clusters", "{}", "node-groups", "{}"}, "DescribeNodegroup", onNodegroup, (*Handler).describeNodegroup},
	{"DELETE", []string{"clusters", "{}", "node-groups", "{}"}, "DeleteNodegroup", onNodegroup, (*Handler).deleteNodegroup},
	{"POST", []string{"clusters", "{}", "node-groups", "{}", "update-config"}, "UpdateNodegroupConfig", onNodegroup, (*Handler).updateNodegroupConfig},
	{"POST", []string{"clusters", "{}", "node-groups", "{}", "update-version"}, "UpdateNodegroupVersion", onNodegroup, (*Handler).updateNodegroupVersion},
	{"POST", []string{"clusters", "{}", "fargate-profiles"}, "CreateFargateProfile", newFargate, (*Handler).createFargateProfile},
	{"GET", []string{"clusters", "{}", "fargate-profiles"}, "ListFargateProfiles", onCluster, (*Handler).listFargateProfiles},
	{"GET", []string{"clusters", "{}", "fargate-profiles", "{}"}, "DescribeFargateProfile", onFargate, (*Handler).describeFargateProfile},
	{"DELETE", []string{"clusters", "{}", "fargate-profiles", "{}"}, "DeleteFargateProfile", onFargate, (*Handler).deleteFargateProfile},
	{"POST", []string{"clusters", "{}", "addons"}, "CreateAddon", newAddon, (*Handler).createAddon},
	{"GET", []string{"clusters", "{}", "addons"}, "ListAddons", onCluster, (*Handler).listAddons},
	{"GET", []string{"clusters", "{}", "addons", "{}"}, "DescribeAddon", onAddon, (*Handler).describeAddon},
	{"DELETE", []string{"clusters", "{}", "addons", "{}"}, "DeleteAddon", onAddon, (*Handler).deleteAddon},
	{"POST", []string{"clusters", "{}", "addons", "{}", "update"}, "UpdateAddon", onAddon, (*Handler).updateAddon},
	{"POST", []string{"clusters", "{}", "access-entries"}, "CreateAccessEntry", newAccessEntry, (*Handler).createAccessEntry},
	{"GET", []string{"clusters", "{}", "access-entries"}, "ListAccessEntries", onCluster, (*Handler).listAccessEntries},
	{"GET", []string{"clusters", "{}", "access-entries", "{}"}, "DescribeAccessEntry", onAccessEntry, (*Handler).describeAccessEntry},
	{"POST", []string{"clusters", "{}", "access-entries", "{}"}, "UpdateAccessEntry", onAccessEntry, (*Handler).updateAccessEntry},
	{"DELETE", []string{"clusters", "{}", "access-entries", "{}"}, "DeleteAccessEntry", onAccessEntry, (*Handler).deleteAccessEntry},
	{"POST", []string{"clusters", "{}", "access-entries", "{}", "access-policies"}, "AssociateAccessPolicy", onAccessEntry, (*Handler).associateAccessPolicy},
	{"GET", []string{"clusters", "{}", "access-entries", "{}", "access-policies"}, "ListAssociatedAccessPolicies", onAccessEntry, (*Handler).listAssociatedAccessPolicies},
	{"DELETE", []string{"clusters", "{}", "access-entries", "{}", "access-policies", "{}"}, "DisassociateAccessPolicy", onAccessEntry, (*Handler).disassociateAccessPolicy},
	{"GET", []string{"access-policies"}, "ListAccessPolicies", noResource, (*Handler).listAccessPolicies},
	{"POST", []string{"clusters", "{}", "pod-identity-associations"}, "CreatePodIdentityAssociation", newPodIdentity, (*Handler).createPodIdentityAssociation},
	{"GET", []string{"clusters", "{}", "pod-identity-associations"}, "ListPodIdentityAssociations", onCluster, (*Handler).listPodIdentityAssociations},
	{"GET", []string{"clusters", "{}", "pod-identity-associations", "{}"}, "DescribePodIdentityAssociation", onPodIdentity, (*Handler).describePodIdentityAssociation},
	{"POST", []string{"clusters", "{}", "pod-identity-associations", "{}"}, "UpdatePodIdentityAssociation", onPodIdentity, (*Handler).updatePodIdentityAssociation},
	{"DELETE", []string{"clusters", "{}", "pod-identity-associations", "{}"}, "DeletePodIdentityAssociation", onPodIdentity, (*Handler).deletePodIdentityAssociation},
	{"GET", []string{"addons", "supported-versions"}, "DescribeAddonVersions", noResource, (*Handler).describeAddonVersions},
	{"GET", []string{"addons", "configuration-schemas"}, "DescribeAddonConfiguration", noResource, (*Handler).describeAddonConfiguration},
	{"GET", []string{"cluster-versions"}, "DescribeClusterVersions", noResource, (*Handler).describeClusterVersions},
	{"POST", []string{"clusters", "{}", "insights"}, "ListInsights", onCluster, (*Handler).listInsights},
	{"GET", []string{"clusters", "{}", "insights", "{}"}, "DescribeInsight", onCluster, (*Handler).describeInsight},
	{"POST", []string{"clusters", "{}", "insights-refresh"}, "StartInsightsRefresh", onCluster, (*Handler).startInsightsRefresh},
	{"GET", []string{"clusters", "{}", "insights-refresh"}, "DescribeInsightsRefresh", onCluster, (*Handler).describeInsightsRefresh},
	{"POST", []string{"tags", "{}"}, "TagResource", onTaggedARN, (*Handler).tagResource},
	{"DELETE", []string{"tags", "{}"}, "UntagResource", onTaggedARN, (*Handler).untagResource},
	{"GET", []string{"tags", "{}"}, "ListTagsForResource", onTaggedARN, (*Handler).listTagsForResource},
}

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	rt, labels, err := findRoute(r)
	if err != nil {
		return err
	}
	return rt.op(h, w, r, c, labels)
}

// findRoute matches a request to its operation and the path's labels.
func findRoute(r *http.Request) (*route, []string, error) {
	// Labels arrive percent-encoded (ARNs in /tags/{resourceArn}); split first, then unescape.
	raw := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, nil, awserr.Errorf(eks.CodeBadRequest, "malformed path segment %q", s)
		}
		segs[i] = u
	}
	pathMatched := false
	for i := range routes {
		labels, ok := match(routes[i].path, segs)
		if !ok {
			continue
		}
		pathMatched = true
		if routes[i].method == r.Method {
			return &routes[i], labels, nil
		}
	}
	if pathMatched {
		return nil, nil, awserr.Errorf(awserr.CodeUnknownOperation, "%s is not supported on %s", r.Method, r.URL.Path)
	}
	return nil, nil, awserr.Errorf(awserr.CodeUnknownOperation, "keks does not serve %s %s", r.Method, r.URL.Path)
}

func match(pattern, segs []string) ([]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var labels []string
	for i, p := range pattern {
		if p == "{}" {
			if segs[i] == "" {
				return nil, false
			}
			labels = append(labels, segs[i])
		} else if p != segs[i] {
			return nil, false
		}
	}
	return labels, true
}

func decode(c *awsproto.Call, v any) error {
	if len(c.Body) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.Body, v); err != nil {
		return awserr.Errorf(eks.CodeInvalidParameter, "The request body is not valid JSON for this operation: %v", err)
	}
	return nil
}

// intQuery reads a page size, 0 when absent; a page size given must lie
// within EKS's bounds, 1 to 100.
func intQuery(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, awserr.Errorf(eks.CodeInvalidParameter, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be a number", v, name)
	}
	if n < 1 {
		return 0, awserr.Errorf(eks.CodeInvalidParameter, "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to 1", n, name)
	}
	return n, nil
}

func boolQuery(r *http.Request, name string) (bool, error) {
	switch v := r.URL.Query().Get(name); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, awserr.Errorf(eks.CodeInvalidParameter, "%s must be true or false", name)
	}
}
