package resources

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// nodegroupProvider is AWS::EKS::Nodegroup. Ref: <cluster>/<nodegroup>;
// GetAtt Arn, ClusterName, NodegroupName.
type nodegroupProvider struct{}

func splitRef(id, sep string) (string, string) {
	a, b, _ := strings.Cut(id, sep)
	return a, b
}

func (nodegroupProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	var in eks.CreateNodegroupInput
	if err := decodeCreate(req, &in, &in.Tags, &in.ClientRequestToken); err != nil {
		return resource.Result{}, err
	}
	if aws.ToString(in.NodegroupName) == "" {
		in.NodegroupName = aws.String(req.GeneratedName(63))
	}
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
	return deleteResult(err)
}

func (np nodegroupProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	c := req.Clients.EKS
	cluster, ng := splitRef(req.PhysicalID, "/")
	if op == "Update" && req.State["update"] != "" {
		return waitForUpdate(ctx, req, &eks.DescribeUpdateInput{Name: aws.String(cluster), NodegroupName: aws.String(ng)}, np.next)
	}
	out, err := c.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(ng)})
	if op == "Delete" {
		if err == nil && out.Nodegroup.Status == ekstypes.NodegroupStatusDeleteFailed {
			return resource.Result{}, fmt.Errorf("Nodegroup %s failed to delete: %s", ng, healthOf(out.Nodegroup))
		}
		return deleteResult(err)
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
