package resources

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// The EKS family: clusters, node groups, Fargate profiles, add-ons, access
// entries and Pod Identity associations, made through EKS's API as the
// stack's caller; a create or delete is done when EKS says so (ACTIVE, or
// gone).
func init() {
	register(map[string]resource.Provider{
		"AWS::EKS::Cluster":                clusterProvider{},
		"AWS::EKS::Nodegroup":              nodegroupProvider{},
		"AWS::EKS::FargateProfile":         fargateProfileProvider{},
		"AWS::EKS::Addon":                  addonProvider{},
		"AWS::EKS::AccessEntry":            accessEntryProvider{},
		"AWS::EKS::PodIdentityAssociation": podIdentityProvider{},
	})
}

// decode fills an EKS request from properties whose names are the API's
// (CloudFormation's EKS properties are EKS's members, capitalized; JSON
// matches names regardless of case), leaving out those named in skip.
func decode(props map[string]any, into any, skip ...string) error {
	m := map[string]any{}
	for k, v := range props {
		if !slices.Contains(skip, k) {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, into); err != nil {
		var te *json.UnmarshalTypeError
		if ok := asTypeError(err, &te); ok {
			return fmt.Errorf("Properties validation failed for resource: #/%s: expected type: %s, found: %s", strings.ReplaceAll(te.Field, ".", "/"), te.Type, te.Value)
		}
		return fmt.Errorf("Properties validation failed: %v", err)
	}
	return nil
}

func asTypeError(err error, te **json.UnmarshalTypeError) bool {
	e, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = e
	}
	return ok
}

func notFound(err error) bool { return isCode(err, "ResourceNotFoundException") }

// updateState is what a multi-step update remembers: the EKS update in
// progress and the steps still to start.
func updateState(id string, todo []string) map[string]string {
	return map[string]string{"update": id, "todo": strings.Join(todo, ",")}
}

func todoOf(state map[string]string) []string {
	if state["todo"] == "" {
		return nil
	}
	return strings.Split(state["todo"], ",")
}

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
	if err := decode(p, &in, "Tags", "Logging"); err != nil {
		return resource.Result{}, err
	}
	if aws.ToString(in.Name) == "" {
		in.Name = aws.String(req.GeneratedName(100))
	}
	in.Logging = clusterLogging(p)
	if t := tagMap(p); len(t) > 0 {
		in.Tags = t
	}
	in.ClientRequestToken = aws.String(req.ClientToken)
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
// access, authentication mode, tags), one EKS update at a time; the rest
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
	return cp.next(ctx, req, todo)
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
	if notFound(err) {
		return resource.Result{Done: true}, nil
	}
	return resource.Result{}, err
}

func (cp clusterProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	c, name := req.Clients.EKS, aws.String(req.PhysicalID)
	if op == "Update" && req.State["update"] != "" {
		out, err := c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: name, UpdateId: aws.String(req.State["update"])})
		if err != nil {
			return resource.Result{}, err
		}
		switch out.Update.Status {
		case ekstypes.UpdateStatusFailed, ekstypes.UpdateStatusCancelled:
			return resource.Result{}, updateFailed(out.Update)
		case ekstypes.UpdateStatusSuccessful:
			return cp.next(ctx, req, todoOf(req.State))
		}
		return resource.Result{}, nil
	}
	out, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: name})
	if op == "Delete" {
		if notFound(err) {
			return resource.Result{Done: true}, nil
		}
		return resource.Result{}, err
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

func updateFailed(u *ekstypes.Update) error {
	var msgs []string
	for _, e := range u.Errors {
		msgs = append(msgs, aws.ToString(e.ErrorMessage))
	}
	return fmt.Errorf("update %s %s: %s", aws.ToString(u.Id), u.Status, strings.Join(msgs, "; "))
}

// nodegroupProvider is AWS::EKS::Nodegroup. Ref: <cluster>/<nodegroup>;
// GetAtt Arn, ClusterName, NodegroupName.
type nodegroupProvider struct{}

func splitRef(id, sep string) (string, string) {
	a, b, _ := strings.Cut(id, sep)
	return a, b
}

func (nodegroupProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p := req.Properties
	var in eks.CreateNodegroupInput
	if err := decode(p, &in, "Tags"); err != nil {
		return resource.Result{}, err
	}
	if aws.ToString(in.NodegroupName) == "" {
		in.NodegroupName = aws.String(req.GeneratedName(63))
	}
	if t := tagMap(p); len(t) > 0 {
		in.Tags = t
	}
	in.ClientRequestToken = aws.String(req.ClientToken)
	out, err := req.Clients.EKS.CreateNodegroup(ctx, &in)
	if err != nil {
		return resource.Result{}, err
	}
	return resource.Result{PhysicalID: aws.ToString(out.Nodegroup.ClusterName) + "/" + aws.ToString(out.Nodegroup.NodegroupName)}, nil
}

func nodegroupAttrs(ng *ekstypes.Nodegroup) map[string]any {
	return map[string]any{"Arn": aws.ToString(ng.NodegroupArn), "ClusterName": aws.ToString(ng.ClusterName), "NodegroupName": aws.ToString(ng.NodegroupName)}
}

func (np nodegroupProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p, old := req.Properties, req.OldProperties
	if changedExcept(p, old, "ScalingConfig", "Labels", "Taints", "UpdateConfig", "Version", "ReleaseVersion", "Tags", "LaunchTemplate", "ForceUpdateEnabled") ||
		changed(obj(p, "LaunchTemplate"), obj(old, "LaunchTemplate"), "Id", "Name") {
		return resource.Result{}, resource.ErrReplace
	}
	cluster, ng := splitRef(req.PhysicalID, "/")
	if err := retag(ctx, req, fmt.Sprintf("arn:aws:eks:%s:%s:nodegroup/%s/%s", req.Region, req.AccountID, cluster, ng)); err != nil {
		// The node group's ARN carries an id keks makes: find it.
		out, derr := req.Clients.EKS.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(ng)})
		if derr != nil {
			return resource.Result{}, err
		}
		if err := retag(ctx, req, aws.ToString(out.Nodegroup.NodegroupArn)); err != nil {
			return resource.Result{}, err
		}
	}
	var todo []string
	if changed(p, old, "ScalingConfig", "Labels", "Taints", "UpdateConfig") {
		todo = append(todo, "config")
	}
	if changed(p, old, "Version", "ReleaseVersion", "LaunchTemplate") {
		todo = append(todo, "version")
	}
	return np.next(ctx, req, todo)
}

func taintsOf(m map[string]any) []ekstypes.Taint {
	var out []ekstypes.Taint
	for _, t := range objs(m, "Taints") {
		out = append(out, ekstypes.Taint{Key: aws.String(str(t, "Key")), Value: strp(t, "Value"), Effect: ekstypes.TaintEffect(str(t, "Effect"))})
	}
	return out
}

func (nodegroupProvider) next(ctx context.Context, req *resource.Request, todo []string) (resource.Result, error) {
	c, p, old := req.Clients.EKS, req.Properties, req.OldProperties
	cluster, ng := splitRef(req.PhysicalID, "/")
	if len(todo) == 0 {
		out, err := c.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(ng)})
		if err != nil {
			return resource.Result{}, err
		}
		return resource.Result{PhysicalID: req.PhysicalID, Attributes: nodegroupAttrs(out.Nodegroup), Done: true, State: map[string]string{}}, nil
	}
	var id *string
	switch todo[0] {
	case "config":
		in := eks.UpdateNodegroupConfigInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(ng)}
		if changed(p, old, "ScalingConfig") {
			in.ScalingConfig = &ekstypes.NodegroupScalingConfig{}
			if err := decode(obj(p, "ScalingConfig"), in.ScalingConfig); err != nil {
				return resource.Result{}, err
			}
		}
		if changed(p, old, "UpdateConfig") && obj(p, "UpdateConfig") != nil {
			in.UpdateConfig = &ekstypes.NodegroupUpdateConfig{}
			if err := decode(obj(p, "UpdateConfig"), in.UpdateConfig); err != nil {
				return resource.Result{}, err
			}
		}
		if changed(p, old, "Labels") {
			want, have := stringMap(p, "Labels"), stringMap(old, "Labels")
			set, remove := tagDiff(want, have)
			in.Labels = &ekstypes.UpdateLabelsPayload{AddOrUpdateLabels: set, RemoveLabels: remove}
		}
		if changed(p, old, "Taints") {
			want, have := taintsOf(p), taintsOf(old)
			in.Taints = &ekstypes.UpdateTaintsPayload{AddOrUpdateTaints: want}
			for _, h := range have {
				if !slices.ContainsFunc(want, func(w ekstypes.Taint) bool { return aws.ToString(w.Key) == aws.ToString(h.Key) }) {
					in.Taints.RemoveTaints = append(in.Taints.RemoveTaints, h)
				}
			}
		}
		out, err := c.UpdateNodegroupConfig(ctx, &in)
		if err != nil {
			return resource.Result{}, err
		}
		id = out.Update.Id
	case "version":
		in := eks.UpdateNodegroupVersionInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(ng), Version: strp(p, "Version"),
			ReleaseVersion: strp(p, "ReleaseVersion"), Force: aws.ToBool(boolp(p, "ForceUpdateEnabled"))}
		if lt := obj(p, "LaunchTemplate"); lt != nil {
			in.LaunchTemplate = &ekstypes.LaunchTemplateSpecification{Id: strp(lt, "Id"), Name: strp(lt, "Name"), Version: strp(lt, "Version")}
		}
		out, err := c.UpdateNodegroupVersion(ctx, &in)
		if err != nil {
			return resource.Result{}, err
		}
		id = out.Update.Id
	}
	return resource.Result{PhysicalID: req.PhysicalID, State: updateState(aws.ToString(id), todo[1:])}, nil
}

func (nodegroupProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	cluster, ng := splitRef(req.PhysicalID, "/")
	_, err := req.Clients.EKS.DeleteNodegroup(ctx, &eks.DeleteNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(ng)})
	if notFound(err) {
		return resource.Result{Done: true}, nil
	}
	return resource.Result{}, err
}

func (np nodegroupProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	c := req.Clients.EKS
	cluster, ng := splitRef(req.PhysicalID, "/")
	if op == "Update" && req.State["update"] != "" {
		out, err := c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String(cluster), NodegroupName: aws.String(ng), UpdateId: aws.String(req.State["update"])})
		if err != nil {
			return resource.Result{}, err
		}
		switch out.Update.Status {
		case ekstypes.UpdateStatusFailed, ekstypes.UpdateStatusCancelled:
			return resource.Result{}, updateFailed(out.Update)
		case ekstypes.UpdateStatusSuccessful:
			return np.next(ctx, req, todoOf(req.State))
		}
		return resource.Result{}, nil
	}
	out, err := c.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(ng)})
	if op == "Delete" {
		if notFound(err) {
			return resource.Result{Done: true}, nil
		}
		if err == nil && out.Nodegroup.Status == ekstypes.NodegroupStatusDeleteFailed {
			return resource.Result{}, fmt.Errorf("Nodegroup %s failed to delete: %s", ng, healthOf(out.Nodegroup))
		}
		return resource.Result{}, err
	}
	if err != nil {
		return resource.Result{}, err
	}
	switch out.Nodegroup.Status {
	case ekstypes.NodegroupStatusActive:
		return resource.Result{PhysicalID: req.PhysicalID, Attributes: nodegroupAttrs(out.Nodegroup), Done: true}, nil
	case ekstypes.NodegroupStatusCreateFailed, ekstypes.NodegroupStatusDegraded:
		return resource.Result{}, fmt.Errorf("Nodegroup %s failed to stabilize: %s", ng, healthOf(out.Nodegroup))
	}
	return resource.Result{}, nil
}

func healthOf(ng *ekstypes.Nodegroup) string {
	if ng.Health == nil {
		return string(ng.Status)
	}
	var msgs []string
	for _, i := range ng.Health.Issues {
		msgs = append(msgs, fmt.Sprintf("[{Code: %s,Message: %s}]", i.Code, aws.ToString(i.Message)))
	}
	return strings.Join(msgs, " ")
}

// fargateProfileProvider is AWS::EKS::FargateProfile. Ref:
// <cluster>|<profile>; GetAtt Arn.
type fargateProfileProvider struct{}

func (fargateProfileProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p := req.Properties
	var in eks.CreateFargateProfileInput
	if err := decode(p, &in, "Tags", "Selectors"); err != nil {
		return resource.Result{}, err
	}
	if aws.ToString(in.FargateProfileName) == "" {
		in.FargateProfileName = aws.String(req.GeneratedName(100))
	}
	for _, s := range objs(p, "Selectors") {
		sel := ekstypes.FargateProfileSelector{Namespace: strp(s, "Namespace")}
		for _, l := range objs(s, "Labels") {
			if sel.Labels == nil {
				sel.Labels = map[string]string{}
			}
			sel.Labels[str(l, "Key")] = str(l, "Value")
		}
		in.Selectors = append(in.Selectors, sel)
	}
	if t := tagMap(p); len(t) > 0 {
		in.Tags = t
	}
	in.ClientRequestToken = aws.String(req.ClientToken)
	out, err := req.Clients.EKS.CreateFargateProfile(ctx, &in)
	if err != nil {
		return resource.Result{}, err
	}
	fp := out.FargateProfile
	return resource.Result{PhysicalID: aws.ToString(fp.ClusterName) + "|" + aws.ToString(fp.FargateProfileName), Attributes: map[string]any{"Arn": aws.ToString(fp.FargateProfileArn)}}, nil
}

func (fargateProfileProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if changedExcept(req.Properties, req.OldProperties, "Tags") {
		return resource.Result{}, resource.ErrReplace
	}
	cluster, name := splitRef(req.PhysicalID, "|")
	out, err := req.Clients.EKS.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(cluster), FargateProfileName: aws.String(name)})
	if err != nil {
		return resource.Result{}, err
	}
	if err := retag(ctx, req, aws.ToString(out.FargateProfile.FargateProfileArn)); err != nil {
		return resource.Result{}, err
	}
	return finished(req.PhysicalID, map[string]any{"Arn": aws.ToString(out.FargateProfile.FargateProfileArn)})
}

func (fargateProfileProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	cluster, name := splitRef(req.PhysicalID, "|")
	_, err := req.Clients.EKS.DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String(cluster), FargateProfileName: aws.String(name)})
	if notFound(err) {
		return resource.Result{Done: true}, nil
	}
	return resource.Result{}, err
}

func (fargateProfileProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	cluster, name := splitRef(req.PhysicalID, "|")
	out, err := req.Clients.EKS.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(cluster), FargateProfileName: aws.String(name)})
	if op == "Delete" {
		if notFound(err) {
			return resource.Result{Done: true}, nil
		}
		if err == nil && out.FargateProfile.Status == ekstypes.FargateProfileStatusDeleteFailed {
			return resource.Result{}, fmt.Errorf("Fargate profile %s failed to delete", name)
		}
		return resource.Result{}, err
	}
	if err != nil {
		return resource.Result{}, err
	}
	switch out.FargateProfile.Status {
	case ekstypes.FargateProfileStatusActive:
		return finished(req.PhysicalID, map[string]any{"Arn": aws.ToString(out.FargateProfile.FargateProfileArn)})
	case ekstypes.FargateProfileStatusCreateFailed:
		return resource.Result{}, fmt.Errorf("Fargate profile %s failed to create", name)
	}
	return resource.Result{}, nil
}

// addonProvider is AWS::EKS::Addon. Ref: <cluster>|<addon>; GetAtt Arn.
type addonProvider struct{}

func (addonProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p := req.Properties
	var in eks.CreateAddonInput
	if err := decode(p, &in, "Tags", "PreserveOnDelete"); err != nil {
		return resource.Result{}, err
	}
	if t := tagMap(p); len(t) > 0 {
		in.Tags = t
	}
	in.ClientRequestToken = aws.String(req.ClientToken)
	out, err := req.Clients.EKS.CreateAddon(ctx, &in)
	if err != nil {
		return resource.Result{}, err
	}
	a := out.Addon
	return resource.Result{PhysicalID: aws.ToString(a.ClusterName) + "|" + aws.ToString(a.AddonName), Attributes: map[string]any{"Arn": aws.ToString(a.AddonArn)}}, nil
}

func (addonProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p, old := req.Properties, req.OldProperties
	if changed(p, old, "ClusterName", "AddonName") {
		return resource.Result{}, resource.ErrReplace
	}
	cluster, name := splitRef(req.PhysicalID, "|")
	desc, err := req.Clients.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(name)})
	if err != nil {
		return resource.Result{}, err
	}
	if err := retag(ctx, req, aws.ToString(desc.Addon.AddonArn)); err != nil {
		return resource.Result{}, err
	}
	if !changedExcept(p, old, "Tags", "PreserveOnDelete") {
		return finished(req.PhysicalID, map[string]any{"Arn": aws.ToString(desc.Addon.AddonArn)})
	}
	var in eks.UpdateAddonInput
	if err := decode(p, &in, "Tags", "PreserveOnDelete"); err != nil {
		return resource.Result{}, err
	}
	if _, err := req.Clients.EKS.UpdateAddon(ctx, &in); err != nil {
		return resource.Result{}, err
	}
	return resource.Result{PhysicalID: req.PhysicalID}, nil
}

func (addonProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	cluster, name := splitRef(req.PhysicalID, "|")
	_, err := req.Clients.EKS.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(name),
		Preserve: aws.ToBool(boolp(req.Properties, "PreserveOnDelete"))})
	if notFound(err) {
		return resource.Result{Done: true}, nil
	}
	return resource.Result{}, err
}

func (addonProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	cluster, name := splitRef(req.PhysicalID, "|")
	out, err := req.Clients.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(name)})
	if op == "Delete" {
		if notFound(err) {
			return resource.Result{Done: true}, nil
		}
		return resource.Result{}, err
	}
	if err != nil {
		return resource.Result{}, err
	}
	switch out.Addon.Status {
	case ekstypes.AddonStatusActive:
		return finished(req.PhysicalID, map[string]any{"Arn": aws.ToString(out.Addon.AddonArn)})
	case ekstypes.AddonStatusCreateFailed, ekstypes.AddonStatusUpdateFailed:
		var msgs []string
		if out.Addon.Health != nil {
			for _, i := range out.Addon.Health.Issues {
				msgs = append(msgs, aws.ToString(i.Message))
			}
		}
		return resource.Result{}, fmt.Errorf("Addon %s is %s: %s", name, out.Addon.Status, strings.Join(msgs, "; "))
	}
	return resource.Result{}, nil
}

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
	if err := decode(p, &in, "Tags", "AccessPolicies"); err != nil {
		return resource.Result{}, err
	}
	if t := tagMap(p); len(t) > 0 {
		in.Tags = t
	}
	in.ClientRequestToken = aws.String(req.ClientToken)
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
	if err := retag(ctx, req, aws.ToString(out.AccessEntry.AccessEntryArn)); err != nil {
		return resource.Result{}, err
	}
	return finished(req.PhysicalID, map[string]any{"AccessEntryArn": aws.ToString(out.AccessEntry.AccessEntryArn)})
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
	p := req.Properties
	var in eks.CreatePodIdentityAssociationInput
	if err := decode(p, &in, "Tags"); err != nil {
		return resource.Result{}, err
	}
	if t := tagMap(p); len(t) > 0 {
		in.Tags = t
	}
	in.ClientRequestToken = aws.String(req.ClientToken)
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
