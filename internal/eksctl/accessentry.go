package eksctl

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
)

// AccessEntryStackName is the stack of one access entry: eksctl names it
// by a hash of the principal, whose ARN has characters stack names may not.
func AccessEntryStackName(cluster, principalARN string) string {
	sum := sha1.Sum([]byte(principalARN))
	return "eksctl-" + cluster + "-accessentry-" + hex.EncodeToString(sum[:])[:20]
}

// BuildAccessEntryStack is the template of an access entry and its
// access policies (AWS::EKS::AccessEntry).
func BuildAccessEntryStack(cluster string, e AccessEntry) *Template {
	t := newTemplate("Access entry for " + e.PrincipalARN)
	props := map[string]any{"ClusterName": cluster, "PrincipalArn": e.PrincipalARN}
	if e.Type != "" {
		props["Type"] = e.Type
	}
	if len(e.KubernetesGroups) > 0 {
		props["KubernetesGroups"] = toAny(e.KubernetesGroups)
	}
	if e.KubernetesUsername != "" {
		props["Username"] = e.KubernetesUsername
	}
	var policies []any
	for _, p := range e.AccessPolicies {
		scope := map[string]any{"Type": p.AccessScope.Type}
		if len(p.AccessScope.Namespaces) > 0 {
			scope["Namespaces"] = toAny(p.AccessScope.Namespaces)
		}
		policies = append(policies, map[string]any{"PolicyArn": p.PolicyARN, "AccessScope": scope})
	}
	if len(policies) > 0 {
		props["AccessPolicies"] = policies
	}
	t.add("AccessEntry", "AWS::EKS::AccessEntry", props)
	return t
}

func validateAccessEntries(cfg *ClusterConfig) error {
	if len(cfg.AccessConfig.AccessEntries) > 0 && cfg.AccessConfig.AuthenticationMode == "CONFIG_MAP" {
		return fmt.Errorf("accessConfig.authenticationMode must be set to either API_AND_CONFIG_MAP or API to use access entries")
	}
	for i, e := range cfg.AccessConfig.AccessEntries {
		if e.PrincipalARN == "" {
			return fmt.Errorf("accessEntries[%d].principalARN must be set to a valid AWS ARN", i)
		}
		for j, p := range e.AccessPolicies {
			switch p.AccessScope.Type {
			case "cluster":
				if len(p.AccessScope.Namespaces) > 0 {
					return fmt.Errorf("accessEntries[%d].policies[%d].accessScope.namespaces can only be set when accessScope.type is namespace", i, j)
				}
			case "namespace":
				if len(p.AccessScope.Namespaces) == 0 {
					return fmt.Errorf("at least one namespace must be specified when accessScope.type is namespace: accessEntries[%d].policies[%d]", i, j)
				}
			default:
				return fmt.Errorf("accessEntries[%d].policies[%d].accessScope.type must be one of cluster, namespace", i, j)
			}
		}
	}
	return nil
}

func (m *Manager) accessEntriesTask(cfg *ClusterConfig) *Task {
	var tasks []*Task
	for _, e := range cfg.AccessConfig.AccessEntries {
		tasks = append(tasks, leaf(fmt.Sprintf("create access entry for principal ARN %q", e.PrincipalARN), func(ctx context.Context) error {
			name := AccessEntryStackName(cfg.Metadata.Name, e.PrincipalARN)
			return m.stacks().Deploy(ctx, name, BuildAccessEntryStack(cfg.Metadata.Name, e), clusterStackTags(cfg, nil))
		}))
	}
	return parallel(tasks...)
}
