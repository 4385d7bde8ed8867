package resources

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// clusterProvider is AWS::EKS::Cluster. Ref: the cluster name; GetAtt Arn,
// Endpoint, CertificateAuthorityData, ClusterSecurityGroupId,
// OpenIdConnectIssuerUrl, EncryptionConfigKeyArn, Id,
// KubernetesNetworkConfig.ServiceIpv4Cidr.
type clusterProvider struct{}

func clusterLogging(props map[string]any) *ekstypes.Logging {
	l := obj(props, "Logging")
	if l == nil {
		return nil
	}
	var types []ekstypes.LogType
	for _, t := range objs(obj(l, "ClusterLogging"), "EnabledTypes") {
		types = append(types, ekstypes.LogType(str(t, "Type")))
	}
	all := []ekstypes.LogType{"api", "audit", "authenticator", "controllerManager", "scheduler"}
	var off []ekstypes.LogType
	for _, t := range all {
		if !slices.Contains(types, t) {
			off = append(off, t)
		}
	}
	out := &ekstypes.Logging{}
	if len(types) > 0 {
		out.ClusterLogging = append(out.ClusterLogging, ekstypes.LogSetup{Enabled: aws.Bool(true), Types: types})
	}
	if len(off) > 0 {
		out.ClusterLogging = append(out.ClusterLogging, ekstypes.LogSetup{Enabled: aws.Bool(false), Types: off})
	}
	return out
}

func (clusterProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p := req.Properties
	var in eks.CreateClusterInput
	if err := decodeCreate(req, &in, &in.Tags, &in.ClientRequestToken, "Logging"); err != nil {
		return resource.Result{}, err
	}
	if aws.ToString(in.Name) == "" {
		in.Name = aws.String(req.GeneratedName(100))
	}
	in.Logging = clusterLogging(p)
	out, err := req.Clients.EKS.CreateCluster(ctx, &in)
	if err != nil {
		return resource.Result{}, err
	}
	return resource.Result{PhysicalID: aws.ToString(out.Cluster.Name)}, nil
}

func clusterAttrs(c *ekstypes.Cluster) map[string]any {
	a := map[string]any{"Arn": aws.ToString(c.Arn), "Endpoint": aws.ToString(c.Endpoint), "Id": aws.ToString(c.Id)}
	if c.CertificateAuthority != nil {
		a["CertificateAuthorityData"] = aws.ToString(c.CertificateAuthority.Data)
	}
	if c.ResourcesVpcConfig != nil {
		a["ClusterSecurityGroupId"] = aws.ToString(c.ResourcesVpcConfig.ClusterSecurityGroupId)
	}
	if c.Identity != nil && c.Identity.Oidc != nil {
		a["OpenIdConnectIssuerUrl"] = aws.ToString(c.Identity.Oidc.Issuer)
	}
	if c.KubernetesNetworkConfig != nil {
		a["KubernetesNetworkConfig.ServiceIpv4Cidr"] = aws.ToString(c.KubernetesNetworkConfig.ServiceIpv4Cidr)
		a["KubernetesNetworkConfig.ServiceIpv6Cidr"] = aws.ToString(c.KubernetesNetworkConfig.ServiceIpv6Cidr)
	}
	if len(c.EncryptionConfig) > 0 && c.EncryptionConfig[0].Provider != nil {
		a["EncryptionConfigKeyArn"] = aws.ToString(c.EncryptionConfig[0].Provider.KeyArn)
	}
	return a
}

// Update changes what EKS changes in place (version, logging, endpoint
// access, authentication mode, scaling tier, tags), one EKS update at a time; the rest
// replaces the cluster.
func (cp clusterProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p, old := req.Properties, req.OldProperties
	vpc, oldVpc := obj(p, "ResourcesVpcConfig"), obj(old, "ResourcesVpcConfig")
	if changed(p, old, "Name", "RoleArn", "KubernetesNetworkConfig", "EncryptionConfig", "BootstrapSelfManagedAddons") ||
		changed(vpc, oldVpc, "SubnetIds", "SecurityGroupIds") ||
		changed(obj(p, "AccessConfig"), obj(old, "AccessConfig"), "BootstrapClusterCreatorAdminPermissions") {
		return resource.Result{}, resource.ErrReplace
	}
	if err := retag(ctx, req, clusterARN(req)); err != nil {
		return resource.Result{}, err
	}
	var todo []string
	if changed(p, old, "Version") {
		todo = append(todo, "version")
	}
	if changed(p, old, "Logging") {
		todo = append(todo, "logging")
	}
	if changed(vpc, oldVpc, "EndpointPublicAccess", "EndpointPrivateAccess", "PublicAccessCidrs") {
		todo = append(todo, "endpoint")
	}
	if changed(obj(p, "AccessConfig"), obj(old, "AccessConfig"), "AuthenticationMode") {
		todo = append(todo, "access")
	}
	if changed(obj(p, "ControlPlaneScalingConfig"), obj(old, "ControlPlaneScalingConfig"), "Tier") {
		todo = append(todo, "tier")
	}
	return cp.next(ctx, req, todo)
}

// retagged finishes an update that changed at most the Tags of the resource
// at arn, which its attribute named arnAttr gives.
func retagged(ctx context.Context, req *resource.Request, arn, arnAttr string) (resource.Result, error) {
	if err := retag(ctx, req, arn); err != nil {
		return resource.Result{}, err
	}
	return finished(req.PhysicalID, map[string]any{arnAttr: arn})
}

func clusterARN(req *resource.Request) string {
	return fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", req.Region, req.AccountID, req.PhysicalID)
}

// retag applies a change of Tags in place.
func retag(ctx context.Context, req *resource.Request, arn string) error {
	set, remove := tagDiff(tagMap(req.Properties), tagMap(req.OldProperties))
	if len(set) > 0 {
		if _, err := req.Clients.EKS.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(arn), Tags: set}); err != nil {
			return err
		}
	}
	if len(remove) > 0 {
		if _, err := req.Clients.EKS.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: remove}); err != nil {
			return err
		}
	}
	return nil
}

// next starts the first of the updates still to do, or reports the
// cluster as it is when none is left.
func (cp clusterProvider) next(ctx context.Context, req *resource.Request, todo []string) (resource.Result, error) {
	c, name, p := req.Clients.EKS, aws.String(req.PhysicalID), req.Properties
	if len(todo) == 0 {
		out, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: name})
		if err != nil {
			return resource.Result{}, err
		}
		return resource.Result{PhysicalID: req.PhysicalID, Attributes: clusterAttrs(out.Cluster), Done: true, State: map[string]string{}}, nil
	}
	var id *string
	switch todo[0] {
	case "version":
		out, err := c.UpdateClusterVersion(ctx, &eks.UpdateClusterVersionInput{Name: name, Version: aws.String(str(p, "Version"))})
		if err != nil {
			return resource.Result{}, err
		}
		id = out.Update.Id
	case "logging":
		l := clusterLogging(p)
		if l == nil {
			l = clusterLogging(map[string]any{"Logging": map[string]any{}})
		}
		out, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, Logging: l})
		if err != nil {
			return resource.Result{}, err
		}
		id = out.Update.Id
	case "endpoint":
		var vpc ekstypes.VpcConfigRequest
		v := obj(p, "ResourcesVpcConfig")
		vpc.EndpointPublicAccess, vpc.EndpointPrivateAccess, vpc.PublicAccessCidrs = boolp(v, "EndpointPublicAccess"), boolp(v, "EndpointPrivateAccess"), strs(v, "PublicAccessCidrs")
		out, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, ResourcesVpcConfig: &vpc})
		if err != nil {
			return resource.Result{}, err
		}
		id = out.Update.Id
	case "tier":
		tier := str(obj(p, "ControlPlaneScalingConfig"), "Tier")
		if tier == "" {
			tier = string(ekstypes.ProvisionedControlPlaneTierStandard) // the property removed: back to EKS's default
		}
		out, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name,
			ControlPlaneScalingConfig: &ekstypes.ControlPlaneScalingConfig{Tier: ekstypes.ProvisionedControlPlaneTier(tier)}})
		if err != nil {
			return resource.Result{}, err
		}
		id = out.Update.Id
	case "access":
		mode := ekstypes.AuthenticationMode(str(obj(p, "AccessConfig"), "AuthenticationMode"))
		out, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: mode}})
		if err != nil {
			return resource.Result{}, err
		}
		id = out.Update.Id
	}
	return resource.Result{PhysicalID: req.PhysicalID, State: updateState(aws.ToString(id), todo[1:])}, nil
}

func (clusterProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	_, err := req.Clients.EKS.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String(req.PhysicalID)})
	return deleteResult(err)
}

func (cp clusterProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	c, name := req.Clients.EKS, aws.String(req.PhysicalID)
	if op == "Update" && req.State["update"] != "" {
		return waitForUpdate(ctx, req, &eks.DescribeUpdateInput{Name: name}, cp.next)
	}
	out, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: name})
	if op == "Delete" {
		return deleteResult(err)
	}
	if err != nil {
		return resource.Result{}, err
	}
	switch out.Cluster.Status {
	case ekstypes.ClusterStatusActive:
		return resource.Result{PhysicalID: req.PhysicalID, Attributes: clusterAttrs(out.Cluster), Done: true}, nil
	case ekstypes.ClusterStatusFailed:
		return resource.Result{}, fmt.Errorf("Cluster %s is in FAILED state", req.PhysicalID)
	}
	return resource.Result{}, nil
}
