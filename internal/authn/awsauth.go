package authn

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

// AWSAuth is the kube-system/aws-auth ConfigMap's mappings, as
// aws-iam-authenticator reads them: each key holds a YAML document.
type AWSAuth struct {
	MapRoles    []RoleMapping `json:"mapRoles,omitempty"`
	MapUsers    []UserMapping `json:"mapUsers,omitempty"`
	MapAccounts []string      `json:"mapAccounts,omitempty"`
	// Errors says which keys could not be read; the rest still apply, as
	// with the authenticator, which logs and skips a bad key.
	Errors []string `json:"errors,omitempty"`
}

// RoleMapping maps an IAM role to a Kubernetes user.
type RoleMapping struct {
	RoleARN  string   `json:"rolearn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups,omitempty"`
}

// UserMapping maps an IAM user to a Kubernetes user.
type UserMapping struct {
	UserARN  string   `json:"userarn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups,omitempty"`
}

// ParseAWSAuth reads the ConfigMap's data.
func ParseAWSAuth(data map[string]string) *AWSAuth {
	a := &AWSAuth{}
	read := func(key string, into any) {
		v, ok := data[key]
		if !ok || v == "" {
			return
		}
		if err := yaml.Unmarshal([]byte(v), into); err != nil {
			a.Errors = append(a.Errors, fmt.Sprintf("%s: %v", key, err))
		}
	}
	read("mapRoles", &a.MapRoles)
	read("mapUsers", &a.MapUsers)
	read("mapAccounts", &a.MapAccounts)
	return a
}
