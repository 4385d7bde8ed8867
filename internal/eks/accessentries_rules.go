package eks

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/eks/accesspolicies"
)

// accessEntryTypes are the types CreateAccessEntry takes, STANDARD first.
var accessEntryTypes = []string{AccessEntryStandard, AccessEntryFargateLinux, AccessEntryEC2Linux, AccessEntryEC2Windows,
	AccessEntryEC2, AccessEntryHybridLinux, AccessEntryHyperPodLinux}

// reservedUsernamePrefixes may not start a custom user name: Kubernetes,
// EKS and AWS name their own users so.
var reservedUsernamePrefixes = []string{"system:", "eks:", "aws:", "amazon:", "iam:"}

// principal is an IAM principal ARN an access entry may name: a role or a
// user, arn:aws:iam::<account>:<kind>/<path><name>.
type principal struct {
	arn, account, kind, path, name string
}

func (p principal) isRole() bool { return p.kind == "role" }

// serviceLinked: service-linked roles live under /aws-service-role/.
func (p principal) serviceLinked() bool {
	return p.isRole() && strings.HasPrefix(p.path, "/aws-service-role/")
}

var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// parsePrincipal reads a principal ARN the way EKS takes it: an IAM role
// or user; an STS session (assumed-role), a group or anything else is not
// a principal an entry can be for.
func parsePrincipal(cluster, arn string) (principal, error) {
	bad := entryInvalid(cluster, "The principalArn parameter format is not valid")
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[1] != "aws" || f[2] != "iam" || f[3] != "" || !accountPattern.MatchString(f[4]) {
		return principal{}, bad
	}
	kind, rest, _ := strings.Cut(f[5], "/")
	i := strings.LastIndex(rest, "/")
	p := principal{arn: arn, account: f[4], kind: kind, path: "/" + rest[:i+1], name: rest[i+1:]}
	if (kind != "role" && kind != "user") || p.name == "" || strings.Contains(p.path, "//") {
		return principal{}, bad
	}
	return p, nil
}

// isNodeType says whether an entry type is for nodes: such entries name a
// role of the cluster's own account, have EKS's user name and groups, and
// take no groups of their own.
func isNodeType(typ string) bool { return typ != AccessEntryStandard }

// takesPolicies says whether access policies can be associated with an
// entry of a type: STANDARD, and Auto Mode nodes (AmazonEKSAutoNodePolicy).
func takesPolicies(typ string) bool { return typ == AccessEntryStandard || typ == AccessEntryEC2 }

// defaultUsername is the user name EKS gives an entry that names none.
func defaultUsername(typ string, p principal) string {
	switch typ {
	case AccessEntryStandard:
		if p.isRole() {
			// The session's ARN, without the role's path.
			return "arn:aws:sts::" + p.account + ":assumed-role/" + p.name + "/{{SessionName}}"
		}
		return p.arn
	case AccessEntryEC2Linux, AccessEntryEC2Windows, AccessEntryEC2:
		return "system:node:{{EC2PrivateDNSName}}"
	default: // Fargate, hybrid and HyperPod nodes' sessions are named after the node
		return "system:node:{{SessionName}}"
	}
}

// defaultGroups are the groups EKS reports for an entry of a node type.
func defaultGroups(typ string) []string {
	switch typ {
	case AccessEntryEC2Linux, AccessEntryEC2Windows:
		return []string{"system:nodes"}
	}
	return nil
}

func checkEntryType(cluster, typ string) error {
	if !slices.Contains(accessEntryTypes, typ) {
		return entryInvalid(cluster, "The access entry type %s is not valid. Valid types are %s", typ, "["+strings.Join(accessEntryTypes, ", ")+"]")
	}
	return nil
}

// checkUsername applies EKS's rules to a custom user name.
func checkUsername(cluster, name string) error {
	for _, prefix := range reservedUsernamePrefixes {
		if strings.HasPrefix(name, prefix) {
			return entryInvalid(cluster, "The username must not begin with %s", prefix)
		}
	}
	// The session name must be set off by a colon, so that it cannot run
	// into the name before it and make another user's name.
	for _, v := range []string{"{{SessionName}}", "{{SessionNameRaw}}"} {
		if i := strings.Index(name, v); i >= 0 && !strings.Contains(name[:i], ":") {
			return entryInvalid(cluster, "The username %s is not valid: a colon must come before %s", name, v)
		}
	}
	return nil
}

// checkGroups applies EKS's rule to kubernetesGroups: the system: groups
// are Kubernetes' own (system:masters would bypass every access policy).
func checkGroups(cluster string, groups []string) error {
	for _, g := range groups {
		if g == "" {
			return entryInvalid(cluster, "The kubernetes group name must not be empty")
		}
		if strings.HasPrefix(g, "system:") {
			return entryInvalid(cluster, "The kubernetes group name %s is invalid, it cannot start with system:", g)
		}
	}
	return nil
}

// checkPrincipalFor checks the principal of a new entry of type typ: not a
// service-linked role; for nodes, a role of the cluster's account; and, in
// the cluster's account, one IAM has. Principals of other accounts are
// taken unchecked, since keks holds only its own account.
func (s *Service) checkPrincipalFor(ctx context.Context, c *Cluster, p principal, typ string) error {
	if p.serviceLinked() {
		return entryInvalid(c.Name, "The caller is not allowed to modify access entries with a principalArn value of a Service Linked Role")
	}
	if isNodeType(typ) && (!p.isRole() || p.account != c.Account) {
		return entryInvalid(c.Name, "The principalArn of an access entry of type %s must be an IAM role in the cluster's account %s", typ, c.Account)
	}
	if p.account != c.Account {
		return nil
	}
	var err error
	if p.isRole() {
		_, err = s.IAM.RoleByARN(ctx, p.arn)
	} else {
		_, err = s.IAM.UserByARN(ctx, p.arn)
	}
	if err != nil {
		return entryInvalid(c.Name, "The specified principalArn is invalid: invalid principal.")
	}
	return nil
}

// notStandard refuses what only STANDARD (and Auto Mode) entries allow.
func notStandard(cluster string) error {
	return entryInvalid(cluster, "This operation can only be performed on Access Entries with a type of \"STANDARD\".")
}

// namespacePattern is a Kubernetes namespace name (an RFC 1123 label) in
// which "*" may stand for any run of characters, as EKS allows ("dev-*").
var namespacePattern = regexp.MustCompile(`^[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?$`)

// checkScope applies EKS's rules to an access scope.
func checkScope(cluster, typ string, namespaces []string) error {
	switch typ {
	case AccessScopeCluster:
		if len(namespaces) > 0 {
			return entryInvalid(cluster, "Namespaces can not be specified when the access scope type is cluster")
		}
	case AccessScopeNamespace:
		if len(namespaces) == 0 {
			return entryInvalid(cluster, "At least one namespace must be specified when the access scope type is namespace")
		}
		for _, ns := range namespaces {
			if len(ns) > 63 || !namespacePattern.MatchString(ns) {
				return entryInvalid(cluster, "The namespace %q is not a valid Kubernetes namespace name", ns)
			}
		}
	case "":
		return entryInvalid(cluster, "accessScope.type is required")
	default:
		return entryInvalid(cluster, "1 validation error detected: Value '%s' at 'accessScope.type' failed to satisfy constraint: Member must satisfy enum value set: [cluster, namespace]", typ)
	}
	return nil
}

// checkPolicyARN: only EKS's own access policies can be associated.
func checkPolicyARN(cluster, arn string) error {
	if arn == "" {
		return entryInvalid(cluster, "policyArn is required")
	}
	if _, ok := accesspolicies.Lookup(arn); !ok {
		return entryInvalid(cluster, "The specified policyArn %s is not a valid access policy. You can view the available access policies with 'list-access-policies'.", arn)
	}
	return nil
}
