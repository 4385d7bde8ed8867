package resources

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// accessEntryProvider is AWS::EKS::AccessEntry, with its AccessPolicies.
// Ref: <cluster>|<principal ARN>; GetAtt AccessEntryArn.
type accessEntryProvider struct{ noWait }

type accessPolicy struct {
	arn   string
	scope ekstypes.AccessScope
}

func accessPolicies(p map[string]any) []accessPolicy {
	var out []accessPolicy
	for _, ap := range objs(p, "AccessPolicies") {
		s := obj(ap, "AccessScope")
		out = append(out, accessPolicy{arn: str(ap, "PolicyArn"), scope: ekstypes.AccessScope{Type: ekstypes.AccessScopeType(str(s, "Type")), Namespaces: strs(s, "Namespaces")}})
	}
	return out
}

func (accessEntryProvider) associate(ctx context.Context, req *resource.Request, cluster, principal string, aps []accessPolicy) error {
	for _, ap := range aps {
		scope := ap.scope
		if _, err := req.Clients.EKS.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal),
			PolicyArn: aws.String(ap.arn), AccessScope: &scope}); err != nil {
			return err
		}
	}
	return nil
}

func (ae accessEntryProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p := req.Properties
	var in eks.CreateAccessEntryInput
	if err := decodeCreate(req, &in, &in.Tags, &in.ClientRequestToken, "AccessPolicies"); err != nil {
		return resource.Result{}, err
	}
	out, err := req.Clients.EKS.CreateAccessEntry(ctx, &in)
	if err != nil {
		return resource.Result{}, err
	}
	e := out.AccessEntry
	id := aws.ToString(e.ClusterName) + "|" + aws.ToString(e.PrincipalArn)
	if err := ae.associate(ctx, req, aws.ToString(e.ClusterName), aws.ToString(e.PrincipalArn), accessPolicies(p)); err != nil {
		return resource.Result{PhysicalID: id}, err
	}
	return finished(id, map[string]any{"AccessEntryArn": aws.ToString(e.AccessEntryArn)})
}

func (ae accessEntryProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p, old := req.Properties, req.OldProperties
	if changed(p, old, "ClusterName", "PrincipalArn", "Type") {
		return resource.Result{}, resource.ErrReplace
	}
	cluster, principal := splitRef(req.PhysicalID, "|")
	if changed(p, old, "Username", "KubernetesGroups") {
		if _, err := req.Clients.EKS.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal),
			Username: strp(p, "Username"), KubernetesGroups: strs(p, "KubernetesGroups")}); err != nil {
			return resource.Result{}, err
		}
	}
	want, have := accessPolicies(p), accessPolicies(old)
	for _, h := range have {
		if !slices.ContainsFunc(want, func(w accessPolicy) bool { return w.arn == h.arn }) {
			if _, err := req.Clients.EKS.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: aws.String(cluster),
				PrincipalArn: aws.String(principal), PolicyArn: aws.String(h.arn)}); err != nil && !notFound(err) {
				return resource.Result{}, err
			}
		}
	}
	if err := ae.associate(ctx, req, cluster, principal, want); err != nil {
		return resource.Result{}, err
	}
	out, err := req.Clients.EKS.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal)})
	if err != nil {
		return resource.Result{}, err
	}
	return retagged(ctx, req, aws.ToString(out.AccessEntry.AccessEntryArn), "AccessEntryArn")
}

func (accessEntryProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	cluster, principal := splitRef(req.PhysicalID, "|")
	_, err := req.Clients.EKS.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal)})
	if err != nil && !notFound(err) {
		return resource.Result{}, err
	}
	return resource.Result{Done: true}, nil
}

// podIdentityProvider is AWS::EKS::PodIdentityAssociation. Ref: its ARN;
// GetAtt AssociationArn, AssociationId.
type podIdentityProvider struct{ noWait }

func podIdentityAttrs(a *ekstypes.PodIdentityAssociation) map[string]any {
	return map[string]any{"AssociationArn": aws.ToString(a.AssociationArn), "AssociationId": aws.ToString(a.AssociationId)}
}

func (podIdentityProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	var in eks.CreatePodIdentityAssociationInput
	if err := decodeCreate(req, &in, &in.Tags, &in.ClientRequestToken); err != nil {
		return resource.Result{}, err
	}
	out, err := req.Clients.EKS.CreatePodIdentityAssociation(ctx, &in)
	if err != nil {
		return resource.Result{}, err
	}
	a := out.Association
	return resource.Result{PhysicalID: aws.ToString(a.AssociationArn), Attributes: podIdentityAttrs(a), Done: true,
		State: map[string]string{"cluster": aws.ToString(a.ClusterName), "id": aws.ToString(a.AssociationId)}}, nil
}

func (podIdentityProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p, old := req.Properties, req.OldProperties
	if changed(p, old, "ClusterName", "Namespace", "ServiceAccount") {
		return resource.Result{}, resource.ErrReplace
	}
	in := eks.UpdatePodIdentityAssociationInput{ClusterName: aws.String(req.State["cluster"]), AssociationId: aws.String(req.State["id"]),
		RoleArn: strp(p, "RoleArn"), TargetRoleArn: strp(p, "TargetRoleArn"), DisableSessionTags: boolp(p, "DisableSessionTags")}
	out, err := req.Clients.EKS.UpdatePodIdentityAssociation(ctx, &in)
	if err != nil {
		return resource.Result{}, err
	}
	if err := retag(ctx, req, req.PhysicalID); err != nil {
		return resource.Result{}, err
	}
	return finished(req.PhysicalID, podIdentityAttrs(out.Association))
}

func (podIdentityProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	cluster, id := req.State["cluster"], req.State["id"]
	if id == "" {
		cluster = str(req.Properties, "ClusterName")
		id = req.PhysicalID[strings.LastIndex(req.PhysicalID, "/")+1:]
	}
	_, err := req.Clients.EKS.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: aws.String(cluster), AssociationId: aws.String(id)})
	if err != nil && !notFound(err) {
		return resource.Result{}, err
	}
	return resource.Result{Done: true}, nil
}
