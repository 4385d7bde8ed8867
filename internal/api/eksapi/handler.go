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
)

// Handler serves the EKS operations.
type Handler struct {
	EKS *eks.Service
}

// Service returns the front door's entry for EKS.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "eks", Handle: h.handle}
}

type route struct {
	method string
	path   []string // literal segments, or "{}" for a label
	op     func(h *Handler, w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error
}

var routes = []route{
	{"POST", []string{"clusters"}, (*Handler).createCluster},
	{"GET", []string{"clusters"}, (*Handler).listClusters},
	{"GET", []string{"clusters", "{}"}, (*Handler).describeCluster},
	{"DELETE", []string{"clusters", "{}"}, (*Handler).deleteCluster},
	{"POST", []string{"clusters", "{}", "update-config"}, (*Handler).updateClusterConfig},
	{"POST", []string{"clusters", "{}", "updates"}, (*Handler).updateClusterVersion},
	{"GET", []string{"clusters", "{}", "updates"}, (*Handler).listUpdates},
	{"GET", []string{"clusters", "{}", "updates", "{}"}, (*Handler).describeUpdate},
	{"POST", []string{"clusters", "{}", "node-groups"}, (*Handler).createNodegroup},
	{"GET", []string{"clusters", "{}", "node-groups"}, (*Handler).listNodegroups},
	{"GET", []string{"clusters", "{}", "node-groups", "{}"}, (*Handler).describeNodegroup},
	{"DELETE", []string{"clusters", "{}", "node-groups", "{}"}, (*Handler).deleteNodegroup},
	{"POST", []string{"clusters", "{}", "node-groups", "{}", "update-config"}, (*Handler).updateNodegroupConfig},
	{"POST", []string{"clusters", "{}", "node-groups", "{}", "update-version"}, (*Handler).updateNodegroupVersion},
	{"POST", []string{"clusters", "{}", "addons"}, (*Handler).createAddon},
	{"GET", []string{"clusters", "{}", "addons"}, (*Handler).listAddons},
	{"GET", []string{"clusters", "{}", "addons", "{}"}, (*Handler).describeAddon},
	{"DELETE", []string{"clusters", "{}", "addons", "{}"}, (*Handler).deleteAddon},
	{"POST", []string{"clusters", "{}", "addons", "{}", "update"}, (*Handler).updateAddon},
	{"GET", []string{"addons", "supported-versions"}, (*Handler).describeAddonVersions},
	{"GET", []string{"addons", "configuration-schemas"}, (*Handler).describeAddonConfiguration},
	{"GET", []string{"cluster-versions"}, (*Handler).describeClusterVersions},
	{"POST", []string{"tags", "{}"}, (*Handler).tagResource},
	{"DELETE", []string{"tags", "{}"}, (*Handler).untagResource},
	{"GET", []string{"tags", "{}"}, (*Handler).listTagsForResource},
}

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	// Labels arrive percent-encoded (ARNs in /tags/{resourceArn}); split first, then unescape.
	raw := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			return awserr.Errorf(eks.CodeBadRequest, "malformed path segment %q", s)
		}
		segs[i] = u
	}
	pathMatched := false
	for _, rt := range routes {
		labels, ok := match(rt.path, segs)
		if !ok {
			continue
		}
		pathMatched = true
		if rt.method == r.Method {
			return rt.op(h, w, r, c, labels)
		}
	}
	if pathMatched {
		return awserr.Errorf(awserr.CodeUnknownOperation, "%s is not supported on %s", r.Method, r.URL.Path)
	}
	return awserr.Errorf(awserr.CodeUnknownOperation, "keks does not serve %s %s", r.Method, r.URL.Path)
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
