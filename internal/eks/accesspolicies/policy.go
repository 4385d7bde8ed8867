package accesspolicies

// ARNPrefix is the start of every EKS cluster access policy ARN.
const ARNPrefix = "arn:aws:eks::aws:cluster-access-policy/"

// Rule is one Kubernetes RBAC rule, as in a ClusterRole. A rule names either
// resources (with their API groups and, optionally, resource names) or
// non-resource URLs, and the verbs allowed on them.
type Rule struct {
	APIGroups       []string `json:"apiGroups,omitempty"`
	Resources       []string `json:"resources,omitempty"`
	Verbs           []string `json:"verbs"`
	ResourceNames   []string `json:"resourceNames,omitempty"`
	NonResourceURLs []string `json:"nonResourceURLs,omitempty"`
}

// Policy is one EKS cluster access policy.
type Policy struct {
	Name  string // "AmazonEKSClusterAdminPolicy"
	ARN   string // "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	Rules []Rule // the Kubernetes RBAC rules it grants
}

// ARNFor returns the ARN of the access policy with this name.
func ARNFor(name string) string {
	return ARNPrefix + name
}

func (r Rule) clone() Rule {
	return Rule{
		APIGroups:       cloneStrings(r.APIGroups),
		Resources:       cloneStrings(r.Resources),
		Verbs:           cloneStrings(r.Verbs),
		ResourceNames:   cloneStrings(r.ResourceNames),
		NonResourceURLs: cloneStrings(r.NonResourceURLs),
	}
}

func (p Policy) clone() Policy {
	rules := make([]Rule, len(p.Rules))
	for i, r := range p.Rules {
		rules[i] = r.clone()
	}
	p.Rules = rules
	return p
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}
