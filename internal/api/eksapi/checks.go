package eksapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
)

// resourceKind says which EKS resource an operation acts on, as the
// Service Authorization Reference lists it for eks:<action>.
type resourceKind int

const (
	noResource     resourceKind = iota // "*": List*, Describe*Versions...
	onCluster                          // the cluster in the path
	newCluster                         // the cluster the body names; its role is passed
	onNodegroup                        // the node group in the path
	newNodegroup                       // a node group of the path's cluster; its node role is passed
	onAddon                            // the add-on in the path
	newAddon                           // an add-on of the path's cluster
	onUpdateTarget                     // the cluster, or the node group or add-on the query names
	onTaggedARN                        // the ARN in the path
	onAccessEntry                      // the access entry of the path's cluster and principal
	newAccessEntry                     // an access entry of the path's cluster; a node type's role is passed
	onPodIdentity                      // the pod identity association of the path's cluster and id; a new role is passed
	newPodIdentity                     // an association of the path's cluster; its role is passed
	onIdPConfig                        // the identity provider config the body names, of the path's cluster
	onFargate                          // the Fargate profile of the path's cluster and name
	newFargate                         // a Fargate profile of the path's cluster; its pod execution role is passed
)

// checks describes an EKS call for the front door's authorizer: the
// action, the resource's ARN (with its tags for aws:ResourceTag), the
// request's tags, and iam:PassRole for the roles a create hands to EKS.
func (h *Handler) checks(r *http.Request, c *awsproto.Call) []awsproto.Check {
	rt, labels, err := findRoute(r)
	if err != nil {
		return nil // not an EKS operation: its handler says so
	}
	arns := eksARNs{region: c.Region, account: c.Principal.Account}
	var body struct {
		Name          string             `json:"name"`
		NodegroupName string             `json:"nodegroupName"`
		AddonName     string             `json:"addonName"`
		RoleARN       string             `json:"roleArn"`
		NodeRole      string             `json:"nodeRole"`
		AddonRoleARN  string             `json:"serviceAccountRoleArn"`
		PodExecRole   string             `json:"podExecutionRoleArn"`
		Tags          map[string]string  `json:"tags"`
		Encryption    []encryptionConfig `json:"encryptionConfig"`
		accessEntryBody
		identityProviderBody
	}
	_ = json.Unmarshal(c.Body, &body) // a body that does not decode names nothing: "*"
	main := awsproto.Check{Action: "eks:" + rt.action, Resource: "*"}
	var passed string
	passedTo := map[string][]string{"iam:PassedToService": {"eks.amazonaws.com"}}
	switch rt.on {
	case onCluster:
		main.Resource = arns.cluster(labels[0])
	case newCluster:
		main.Resource, passed = arns.cluster(body.Name), body.RoleARN
	case onNodegroup:
		main.Resource = h.nodegroupARN(r.Context(), arns, labels[0], labels[1])
	case newNodegroup:
		main.Resource, passed = arns.cluster(labels[0]), body.NodeRole
	case onAddon:
		main.Resource, passed = h.addonARN(r.Context(), arns, labels[0], labels[1]), body.AddonRoleARN
	case newAddon:
		main.Resource, passed = arns.cluster(labels[0]), body.AddonRoleARN
	case onUpdateTarget:
		q := r.URL.Query()
		switch {
		case q.Get("nodegroupName") != "":
			main.Resource = h.nodegroupARN(r.Context(), arns, labels[0], q.Get("nodegroupName"))
		case q.Get("addonName") != "":
			main.Resource = h.addonARN(r.Context(), arns, labels[0], q.Get("addonName"))
		default:
			main.Resource = arns.cluster(labels[0])
		}
	case newFargate:
		// The Service Authorization Reference authorizes
		// eks:CreateFargateProfile on the cluster, as CreateNodegroup.
		main.Resource, passed = arns.cluster(labels[0]), body.PodExecRole
	case onFargate:
		main.Resource = h.fargateProfileARN(r.Context(), arns, labels[0], labels[1])
	case onTaggedARN:
		main.Resource = labels[0]
	case onAccessEntry:
		main.Resource = h.accessEntryARN(r.Context(), arns, labels[0], labels[1])
	case newAccessEntry:
		main.Resource = arns.cluster(labels[0])
		if body.Type == "EC2_LINUX" || body.Type == "EC2_WINDOWS" {
			passed = body.PrincipalARN // EKS's nodes act as the role
		}
	case newPodIdentity, onPodIdentity:
		cluster := arns.cluster(labels[0])
		main.Resource = cluster
		if rt.on == onPodIdentity {
			main.Resource = arns.podIdentityAssociation(labels[0], labels[1])
		}
		// The role (on create, or on an update that names one) goes to
		// EKS Pod Identity, for use in the cluster.
		passed = body.RoleARN
		passedTo = map[string][]string{"iam:PassedToService": {"pods.eks.amazonaws.com"}}
		if cluster != "*" {
			passedTo["iam:AssociatedResourceARN"] = []string{cluster}
		}
	case onIdPConfig:
		var typ, name string
		if ref := body.IdentityProviderConfig; ref != nil {
			typ, name = ref.Type, ref.Name
		}
		main.Resource = h.identityProviderConfigARN(r.Context(), arns, labels[0], typ, name)
	}
	if main.Resource != "*" {
		res := main.Resource
		main.ResourceTags = func(ctx context.Context) map[string]string {
			tags, err := h.EKS.ListTags(ctx, c.Region, res)
			if err != nil {
				return nil
			}
			return tags
		}
	}
	switch rt.action {
	case "CreateCluster", "CreateNodegroup", "CreateFargateProfile", "CreateAddon", "CreateAccessEntry", "CreatePodIdentityAssociation", "TagResource":
		main.Context = awsproto.TagContext(body.Tags)
	case "AssociateIdentityProviderConfig":
		main.Context = identityProviderContext(awsproto.TagContext(body.Tags), body.identityProviderBody)
	case "UntagResource":
		main.Context = map[string][]string{"aws:TagKeys": r.URL.Query()["tagKeys"]}
	}
	if rt.on == onAccessEntry || rt.on == newAccessEntry {
		main.Context = accessEntryContext(main.Context, rt.action, labels, body.accessEntryBody)
	}
	checks := []awsproto.Check{main}
	if passed != "" {
		checks = append(checks, awsproto.Check{Action: "iam:PassRole", Resource: passed, Context: passedTo})
	}
	if rt.action == "CreateCluster" || rt.action == "AssociateEncryptionConfig" {
		checks = append(checks, h.keyChecks(r.Context(), c, body.Encryption)...)
	}
	return checks
}

type eksARNs struct{ region, account string }

func (a eksARNs) cluster(name string) string {
	if name == "" || strings.Contains(name, "/") {
		return "*"
	}
	return fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", a.region, a.account, name)
}

// podIdentityAssociation is an association's ARN, which its cluster and
// id make whole; "*" when they cannot be part of one.
func (a eksARNs) podIdentityAssociation(cluster, id string) string {
	if a.cluster(cluster) == "*" || id == "" || strings.Contains(id, "/") {
		return "*"
	}
	return fmt.Sprintf("arn:aws:eks:%s:%s:podidentityassociation/%s/%s", a.region, a.account, cluster, id)
}

// nodegroupARN is the group's own ARN (its last part is a UUID only the
// group knows); for a group that does not exist, the ARN with that part "*".
func (h *Handler) nodegroupARN(ctx context.Context, a eksARNs, cluster, name string) string {
	if ng, err := h.EKS.GetNodegroup(ctx, a.region, cluster, name); err == nil {
		return ng.ARN
	}
	return fmt.Sprintf("arn:aws:eks:%s:%s:nodegroup/%s/%s/*", a.region, a.account, cluster, name)
}

func (h *Handler) addonARN(ctx context.Context, a eksARNs, cluster, name string) string {
	if ad, err := h.EKS.GetAddon(ctx, a.region, cluster, name); err == nil {
		return ad.ARN
	}
	return fmt.Sprintf("arn:aws:eks:%s:%s:addon/%s/%s/*", a.region, a.account, cluster, name)
}

// accessEntryBody is what access entry requests carry that conditions test.
type accessEntryBody struct {
	PrincipalARN     string   `json:"principalArn"`
	Type             string   `json:"type"`
	Username         string   `json:"username"`
	KubernetesGroups []string `json:"kubernetesGroups"`
	PolicyARN        string   `json:"policyArn"`
	AccessScope      *struct {
		Type       string   `json:"type"`
		Namespaces []string `json:"namespaces"`
	} `json:"accessScope"`
}

// accessEntryContext adds the eks: condition keys of the access entry
// actions to ctx: eks:clusterName and eks:principalArn always; what the
// request sets of eks:accessEntryType, eks:username, eks:kubernetesGroups,
// eks:policyArn, eks:accessScope and eks:namespaces.
func accessEntryContext(ctx map[string][]string, action string, labels []string, b accessEntryBody) map[string][]string {
	if ctx == nil {
		ctx = map[string][]string{}
	}
	set := func(key string, v ...string) {
		if len(v) > 0 && (len(v) > 1 || v[0] != "") {
			ctx[key] = v
		}
	}
	set("eks:clusterName", labels[0])
	principal := b.PrincipalARN
	if len(labels) > 1 {
		principal = labels[1]
	}
	set("eks:principalArn", principal)
	if action == "CreateAccessEntry" {
		typ := b.Type
		if typ == "" {
			typ = "STANDARD"
		}
		set("eks:accessEntryType", typ)
	}
	set("eks:username", b.Username)
	set("eks:kubernetesGroups", b.KubernetesGroups...)
	switch {
	case action == "AssociateAccessPolicy":
		set("eks:policyArn", b.PolicyARN)
		if b.AccessScope != nil {
			set("eks:accessScope", b.AccessScope.Type)
			set("eks:namespaces", b.AccessScope.Namespaces...)
		}
	case action == "DisassociateAccessPolicy" && len(labels) > 2:
		set("eks:policyArn", labels[2])
	}
	return ctx
}

// accessEntryARN is the entry's own ARN (its last part is a UUID only the
// entry knows); for an entry that does not exist, the ARN with that part
// "*", and "*" when the principal is no IAM role or user ARN.
func (h *Handler) accessEntryARN(ctx context.Context, a eksARNs, cluster, principalARN string) string {
	if e, err := h.EKS.GetAccessEntry(ctx, a.region, cluster, principalARN); err == nil {
		return e.ARN
	}
	f := strings.SplitN(principalARN, ":", 6)
	if a.cluster(cluster) == "*" || len(f) != 6 || f[2] != "iam" || strings.Contains(f[4], "/") {
		return "*"
	}
	kind, rest, _ := strings.Cut(f[5], "/")
	name := rest[strings.LastIndex(rest, "/")+1:]
	if (kind != "role" && kind != "user") || name == "" {
		return "*"
	}
	return fmt.Sprintf("arn:aws:eks:%s:%s:access-entry/%s/%s/%s/%s/*", a.region, a.account, cluster, kind, f[4], name)
}

// identityProviderBody is what identity provider config requests carry
// that checks use.
type identityProviderBody struct {
	OIDC *struct {
		IssuerURL string `json:"issuerUrl"`
		ClientID  string `json:"clientId"`
	} `json:"oidc"`
	IdentityProviderConfig *configRefWire `json:"identityProviderConfig"`
}

// identityProviderContext adds the condition keys of
// eks:AssociateIdentityProviderConfig to ctx: eks:clientId and
// eks:issuerUrl, as the request sets them.
func identityProviderContext(ctx map[string][]string, b identityProviderBody) map[string][]string {
	oidc := b.OIDC
	if oidc == nil || (oidc.ClientID == "" && oidc.IssuerURL == "") {
		return ctx
	}
	if ctx == nil {
		ctx = map[string][]string{}
	}
	if oidc.ClientID != "" {
		ctx["eks:clientId"] = []string{oidc.ClientID}
	}
	if oidc.IssuerURL != "" {
		ctx["eks:issuerUrl"] = []string{oidc.IssuerURL}
	}
	return ctx
}

// identityProviderConfigARN is the config's own ARN (its last part is a
// UUID only the config knows); for a config that does not exist, the ARN
// with that part "*", and "*" when the request names no config that could
// have one.
func (h *Handler) identityProviderConfigARN(ctx context.Context, a eksARNs, cluster, typ, name string) string {
	if a.cluster(cluster) == "*" || typ == "" || name == "" || strings.Contains(typ, "/") || strings.Contains(name, "/") {
		return "*"
	}
	if idp, err := h.EKS.DescribeIdentityProviderConfig(ctx, a.region, cluster, eks.IdentityProviderConfigRef{Type: typ, Name: name}); err == nil {
		return idp.ARN
	}
	return fmt.Sprintf("arn:aws:eks:%s:%s:identityproviderconfig/%s/%s/%s/*", a.region, a.account, cluster, typ, name)
}
