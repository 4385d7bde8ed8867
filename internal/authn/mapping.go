package authn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
)

// usesAccessEntries and usesConfigMap say which sources of mappings a mode reads.
func usesAccessEntries(mode string) bool {
	return mode == eks.AuthModeAPI || mode == eks.AuthModeAPIAndConfigMap
}
func usesConfigMap(mode string) bool { return mode != eks.AuthModeAPI }

// principalFacts is what mapping templates are filled from.
type principalFacts struct {
	p         awsproto.Principal
	canonical string
	session   string
	id        string // principal id without the session
}

// MapIdentity maps an IAM principal to a Kubernetes user as EKS does: node
// roles to their node; then, by the cluster's authentication mode, access
// entries and the aws-auth ConfigMap (entries first); the cluster creator
// is system:masters in CONFIG_MAP mode when bootstrap admin is on (in the
// API modes the creator has an entry with AmazonEKSClusterAdminPolicy).
func MapIdentity(cl ClusterIdentity, p awsproto.Principal) (*UserInfo, error) {
	f := principalFacts{p: p, canonical: eks.CanonicalPrincipalARN(p.ARN), id: p.UserID}
	if i := strings.Index(p.UserID, ":"); i >= 0 {
		f.id, f.session = p.UserID[:i], p.UserID[i+1:]
	}
	u := &UserInfo{
		Username: p.ARN,
		UID:      "aws-iam-authenticator:" + p.Account + ":" + f.id,
		Groups:   []string{},
		Extra: map[string][]string{
			"arn": {p.ARN}, "canonicalArn": {f.canonical}, "sessionName": {f.session},
			"accessKeyId": {p.AccessKeyID}, "principalId": {f.id},
		},
	}
	for _, r := range cl.NodeRoles {
		if strings.EqualFold(r, f.canonical) {
			return u, mapNode(cl, f, u)
		}
	}
	mode := cl.AuthenticationMode
	if mode == "" {
		mode = eks.AuthModeConfigMap
	}
	if usesAccessEntries(mode) {
		for _, e := range cl.AccessEntries {
			if strings.EqualFold(e.PrincipalARN, f.canonical) {
				return u, mapEntry(cl, f, e, u)
			}
		}
	}
	if usesConfigMap(mode) && cl.AWSAuth != nil {
		if ok, err := mapConfigMap(cl, f, u); ok {
			return u, err
		}
	}
	if mode == eks.AuthModeConfigMap && cl.BootstrapAdmin && strings.EqualFold(f.canonical, cl.CreatorARN) {
		u.Groups = append(u.Groups, "system:masters")
		return u, nil
	}
	return nil, fmt.Errorf("%s is not mapped to any Kubernetes user of cluster %s", f.canonical, cl.Name)
}

// mapNode: a node's session name is its instance id, as with EC2 instance profiles.
func mapNode(cl ClusterIdentity, f principalFacts, u *UserInfo) error {
	dns, ok := cl.Instances[f.session]
	if !ok {
		return fmt.Errorf("%s is a node role but session %q is not an instance of cluster %s", f.canonical, f.session, cl.Name)
	}
	u.Username = "system:node:" + dns
	u.Groups = []string{"system:bootstrappers", "system:nodes"}
	return nil
}

func mapEntry(cl ClusterIdentity, f principalFacts, e AccessEntry, u *UserInfo) error {
	switch e.Type {
	case "EC2_LINUX", "EC2_WINDOWS", "EC2", "HYBRID_LINUX":
		if e.Type == "HYBRID_LINUX" {
			u.Username = "system:node:" + f.session
		} else if err := mapNode(cl, f, u); err != nil {
			return err
		}
		u.Groups = []string{"system:nodes"}
		if e.Type == "EC2_WINDOWS" {
			u.Groups = append(u.Groups, "eks:kube-proxy-windows")
		}
		return nil
	case "FARGATE_LINUX":
		u.Username = "system:node:" + f.session
		u.Groups = []string{"system:nodes", "system:node-proxier"}
		return nil
	}
	name := e.Username
	if name == "" {
		name = defaultUsername(f)
	}
	var err error
	if u.Username, err = expand(name, cl, f); err != nil {
		return err
	}
	u.Groups = append([]string{}, e.Groups...)
	return nil
}

// defaultUsername is what EKS names a STANDARD entry's user: the user's
// ARN, or the role's session ARN without the role's path.
func defaultUsername(f principalFacts) string {
	if strings.Contains(f.canonical, ":role/") {
		role := f.canonical[strings.LastIndex(f.canonical, "/")+1:]
		return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/{{SessionName}}", f.p.Account, role)
	}
	return f.canonical
}

// mapConfigMap applies aws-auth: mapRoles, then mapUsers, then mapAccounts,
// matching canonical ARNs without regard to case.
func mapConfigMap(cl ClusterIdentity, f principalFacts, u *UserInfo) (bool, error) {
	a := cl.AWSAuth
	apply := func(username string, groups []string) (bool, error) {
		if username == "" {
			username = f.canonical
		}
		name, err := expand(username, cl, f)
		if err != nil {
			return true, err
		}
		u.Username, u.Groups = name, append([]string{}, groups...)
		return true, nil
	}
	for _, m := range a.MapRoles {
		if strings.EqualFold(m.RoleARN, f.canonical) {
			return apply(m.Username, m.Groups)
		}
	}
	for _, m := range a.MapUsers {
		if strings.EqualFold(m.UserARN, f.canonical) {
			return apply(m.Username, m.Groups)
		}
	}
	if slices.Contains(a.MapAccounts, f.p.Account) {
		return apply("", nil)
	}
	return false, nil
}

// expand fills aws-iam-authenticator's username templates.
func expand(name string, cl ClusterIdentity, f principalFacts) (string, error) {
	if !strings.Contains(name, "{{") {
		return name, nil
	}
	if strings.Contains(name, "{{EC2PrivateDNSName}}") {
		dns, ok := cl.Instances[f.session]
		if !ok {
			return "", fmt.Errorf("%s: {{EC2PrivateDNSName}} needs a session named after an instance of cluster %s, not %q", f.canonical, cl.Name, f.session)
		}
		name = strings.ReplaceAll(name, "{{EC2PrivateDNSName}}", dns)
	}
	return strings.NewReplacer(
		"{{AccountID}}", f.p.Account,
		"{{SessionName}}", strings.ReplaceAll(f.session, "@", "-"),
		"{{SessionNameRaw}}", f.session,
		"{{AccessKeyID}}", f.p.AccessKeyID,
	).Replace(name), nil
}
