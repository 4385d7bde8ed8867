package authn

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/eks/accesspolicies"
)

// Authorizer answers kube-apiserver's SubjectAccessReviews with what the
// principal's access policies allow, as EKS enforces access policies on
// top of RBAC: the API server asks only when RBAC did not allow, and a
// policy that does not allow either gives no opinion (never a denial).
type Authorizer struct {
	// Cluster returns the cluster's identity-mapping facts.
	Cluster func() (ClusterIdentity, error)
	Log     *slog.Logger
}

type subjectAccessReview struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		ResourceAttributes    *ResourceAttributes `json:"resourceAttributes,omitempty"`
		NonResourceAttributes *struct {
			Path string `json:"path"`
			Verb string `json:"verb"`
		} `json:"nonResourceAttributes,omitempty"`
		User   string              `json:"user"`
		Groups []string            `json:"groups"`
		Extra  map[string][]string `json:"extra,omitempty"`
	} `json:"spec"`
	Status struct {
		Allowed bool   `json:"allowed"`
		Reason  string `json:"reason,omitempty"`
	} `json:"status"`
}

// ResourceAttributes is what a request does to which object.
type ResourceAttributes struct {
	Namespace   string `json:"namespace,omitempty"`
	Verb        string `json:"verb"`
	Group       string `json:"group,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
}

func (a *Authorizer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var sar subjectAccessReview
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(body, &sar) != nil || r.Method != http.MethodPost {
		http.Error(w, "expected a SubjectAccessReview", http.StatusBadRequest)
		return
	}
	if sar.APIVersion == "" {
		sar.APIVersion = "authorization.k8s.io/v1"
	}
	sar.Kind = "SubjectAccessReview"
	if cl, err := a.Cluster(); err != nil {
		sar.Status.Reason = "access entries unavailable: " + err.Error()
	} else if policy, ok := a.allowedBy(cl, &sar); ok {
		sar.Status.Allowed, sar.Status.Reason = true, "allowed by EKS access policy "+policy
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(sar)
}

// allowedBy names the access policy of the requester's entry that allows
// the request, if one does.
func (a *Authorizer) allowedBy(cl ClusterIdentity, sar *subjectAccessReview) (string, bool) {
	if !usesAccessEntries(cl.AuthenticationMode) {
		return "", false
	}
	canonical := sar.Spec.Extra["canonicalArn"]
	if len(canonical) != 1 {
		return "", false // not an IAM principal: RBAC alone decides
	}
	for _, e := range cl.AccessEntries {
		if !strings.EqualFold(e.PrincipalARN, canonical[0]) {
			continue
		}
		for _, ap := range e.Policies {
			pol, ok := accesspolicies.Lookup(ap.ARN)
			if !ok || !inScope(ap, sar) {
				continue
			}
			for _, rule := range pol.Rules {
				if ruleAllows(rule, sar) {
					return pol.Name, true
				}
			}
		}
	}
	return "", false
}

// inScope: a cluster-scoped association covers every request; a namespace
// one only requests within its namespaces (names may end in a * wildcard).
func inScope(ap AccessPolicy, sar *subjectAccessReview) bool {
	if len(ap.Namespaces) == 0 {
		return true
	}
	ra := sar.Spec.ResourceAttributes
	if ra == nil || ra.Namespace == "" {
		return false
	}
	for _, ns := range ap.Namespaces {
		if prefix, ok := strings.CutSuffix(ns, "*"); ok && strings.HasPrefix(ra.Namespace, prefix) || ns == ra.Namespace {
			return true
		}
	}
	return false
}

// ruleAllows matches one RBAC rule as Kubernetes's RBAC authorizer does.
func ruleAllows(rule accesspolicies.Rule, sar *subjectAccessReview) bool {
	if nr := sar.Spec.NonResourceAttributes; nr != nil {
		if !matchesAny(rule.Verbs, nr.Verb) {
			return false
		}
		for _, u := range rule.NonResourceURLs {
			if u == "*" || u == nr.Path || strings.HasSuffix(u, "*") && strings.HasPrefix(nr.Path, strings.TrimSuffix(u, "*")) {
				return true
			}
		}
		return false
	}
	ra := sar.Spec.ResourceAttributes
	if ra == nil || !matchesAny(rule.Verbs, ra.Verb) || !matchesAny(rule.APIGroups, ra.Group) {
		return false
	}
	resource := ra.Resource
	if ra.Subresource != "" {
		resource = path.Join(ra.Resource, ra.Subresource)
	}
	resourceOK := slices.ContainsFunc(rule.Resources, func(r string) bool {
		return r == "*" || r == resource || ra.Subresource != "" && r == "*/"+ra.Subresource
	})
	if !resourceOK {
		return false
	}
	return len(rule.ResourceNames) == 0 || slices.Contains(rule.ResourceNames, ra.Name)
}

func matchesAny(list []string, v string) bool {
	return slices.Contains(list, "*") || slices.Contains(list, v)
}
