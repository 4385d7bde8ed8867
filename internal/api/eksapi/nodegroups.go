package eksapi

import (
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
)

type scalingWire struct {
	MinSize     *int `json:"minSize,omitempty"`
	MaxSize     *int `json:"maxSize,omitempty"`
	DesiredSize *int `json:"desiredSize,omitempty"`
}

type updateConfigWire struct {
	MaxUnavailable           *int   `json:"maxUnavailable,omitempty"`
	MaxUnavailablePercentage *int   `json:"maxUnavailablePercentage,omitempty"`
	UpdateStrategy           string `json:"updateStrategy,omitempty"`
}

type createNodegroupRequest struct {
	NodegroupName      string            `json:"nodegroupName"`
	ScalingConfig      *scalingWire      `json:"scalingConfig"`
	DiskSize           *int              `json:"diskSize"`
	Subnets            []string          `json:"subnets"`
	InstanceTypes      []string          `json:"instanceTypes"`
	AMIType            string            `json:"amiType"`
	RemoteAccess       *eks.RemoteAccess `json:"remoteAccess"`
	NodeRole           string            `json:"nodeRole"`
	Labels             map[string]string `json:"labels"`
	Taints             []eks.Taint       `json:"taints"`
	Tags               map[string]string `json:"tags"`
	ClientRequestToken string            `json:"clientRequestToken"`
	LaunchTemplate     map[string]any    `json:"launchTemplate"`
	UpdateConfig       *updateConfigWire `json:"updateConfig"`
	CapacityType       string            `json:"capacityType"`
	Version            string            `json:"version"`
	ReleaseVersion     string            `json:"releaseVersion"`
}

func (h *Handler) createNodegroup(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	var req createNodegroupRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.NodegroupName == "" || req.NodeRole == "" || req.Subnets == nil {
		return awserr.Errorf(eks.CodeInvalidParameter, "nodegroupName, subnets and nodeRole are required").With("clusterName", labels[0])
	}
	in := eks.CreateNodegroupInput{
		ClusterName: labels[0], Name: req.NodegroupName, Region: c.Region, Account: c.Principal.Account,
		DiskSize: req.DiskSize, Subnets: req.Subnets, InstanceTypes: req.InstanceTypes, AMIType: req.AMIType,
		NodeRole: req.NodeRole, CapacityType: req.CapacityType, Version: req.Version, ReleaseVersion: req.ReleaseVersion,
		Labels: req.Labels, Taints: req.Taints, Tags: req.Tags, RemoteAccess: req.RemoteAccess,
		ClientRequestToken: req.ClientRequestToken, HasLaunchTemplate: req.LaunchTemplate != nil,
	}
	if sc := req.ScalingConfig; sc != nil {
		if sc.MinSize == nil || sc.MaxSize == nil || sc.DesiredSize == nil {
			return awserr.Errorf(eks.CodeInvalidParameter, "scalingConfig needs minSize, maxSize and desiredSize").With("clusterName", labels[0]).With("nodegroupName", req.NodegroupName)
		}
		in.Scaling = &eks.Scaling{Min: *sc.MinSize, Max: *sc.MaxSize, Desired: *sc.DesiredSize}
	}
	if u := req.UpdateConfig; u != nil {
		in.MaxUnavailable, in.MaxUnavailablePct = u.MaxUnavailable, u.MaxUnavailablePercentage
	}
	ng, err := h.EKS.CreateNodegroup(r.Context(), in)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"nodegroup": nodegroupToWire(ng)})
	return nil
}

func (h *Handler) describeNodegroup(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	ng, err := h.EKS.GetNodegroup(r.Context(), c.Region, labels[0], labels[1])
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"nodegroup": nodegroupToWire(ng)})
	return nil
}

func (h *Handler) listNodegroups(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	max, err := intQuery(r, "maxResults")
	if err != nil {
		return err
	}
	names, next, err := h.EKS.ListNodegroups(r.Context(), c.Region, labels[0], max, r.URL.Query().Get("nextToken"))
	if err != nil {
		return err
	}
	writeList(w, c, "nodegroups", names, next)
	return nil
}

func (h *Handler) deleteNodegroup(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	ng, err := h.EKS.DeleteNodegroup(r.Context(), c.Region, labels[0], labels[1])
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"nodegroup": nodegroupToWire(ng)})
	return nil
}

func (h *Handler) updateNodegroupConfig(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	var req struct {
		Labels *struct {
			AddOrUpdateLabels map[string]string `json:"addOrUpdateLabels"`
			RemoveLabels      []string          `json:"removeLabels"`
		} `json:"labels"`
		Taints *struct {
			AddOrUpdateTaints []eks.Taint `json:"addOrUpdateTaints"`
			RemoveTaints      []eks.Taint `json:"removeTaints"`
		} `json:"taints"`
		ScalingConfig *scalingWire      `json:"scalingConfig"`
		UpdateConfig  *updateConfigWire `json:"updateConfig"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	in := eks.NodegroupConfigInput{Region: c.Region, ClusterName: labels[0], Name: labels[1]}
	if l := req.Labels; l != nil {
		in.AddLabels, in.RemoveLabels = l.AddOrUpdateLabels, l.RemoveLabels
	}
	if t := req.Taints; t != nil {
		in.AddTaints, in.RemoveTaints = t.AddOrUpdateTaints, t.RemoveTaints
	}
	if sc := req.ScalingConfig; sc != nil {
		in.Scaling = &eks.Scaling{Min: orMinus(sc.MinSize), Max: orMinus(sc.MaxSize), Desired: orMinus(sc.DesiredSize)}
	}
	if u := req.UpdateConfig; u != nil {
		in.MaxUnavailable, in.MaxUnavailablePct = u.MaxUnavailable, u.MaxUnavailablePercentage
	}
	u, err := h.EKS.UpdateNodegroupConfig(r.Context(), in)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"update": updateToWire(u)})
	return nil
}

// orMinus marks a scaling field left out with -1.
func orMinus(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

func (h *Handler) updateNodegroupVersion(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	var req struct {
		Version        string         `json:"version"`
		ReleaseVersion string         `json:"releaseVersion"`
		LaunchTemplate map[string]any `json:"launchTemplate"`
		Force          bool           `json:"force"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.LaunchTemplate != nil {
		return awserr.Errorf(eks.CodeInvalidParameter, "keks does not support launch templates yet").With("clusterName", labels[0]).With("nodegroupName", labels[1])
	}
	u, err := h.EKS.UpdateNodegroupVersion(r.Context(), c.Region, labels[0], labels[1], req.Version, req.ReleaseVersion, req.Force)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"update": updateToWire(u)})
	return nil
}

func nodegroupToWire(ng *eks.Nodegroup) map[string]any {
	issues := issuesToWire(ng.Issues)
	upd := map[string]any{}
	if ng.MaxUnavailablePct > 0 {
		upd["maxUnavailablePercentage"] = ng.MaxUnavailablePct
	} else {
		upd["maxUnavailable"] = ng.MaxUnavailable
	}
	taints := ng.Taints
	if taints == nil {
		taints = []eks.Taint{}
	}
	labels := ng.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	tags := ng.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	out := map[string]any{
		"nodegroupName": ng.Name, "nodegroupArn": ng.ARN, "clusterName": ng.ClusterName,
		"version": ng.Version, "releaseVersion": ng.ReleaseVersion,
		"createdAt": epoch(ng.CreatedAt), "modifiedAt": epoch(ng.ModifiedAt), "status": ng.Status,
		"capacityType": ng.CapacityType, "amiType": ng.AMIType, "instanceTypes": ng.InstanceTypes,
		"scalingConfig": map[string]int{"minSize": ng.Scaling.Min, "maxSize": ng.Scaling.Max, "desiredSize": ng.Scaling.Desired},
		"subnets":       ng.Subnets, "nodeRole": ng.NodeRole, "labels": labels, "taints": taints, "diskSize": ng.DiskSize,
		"resources":    map[string]any{"autoScalingGroups": []map[string]string{{"name": ng.ASGName}}},
		"health":       map[string]any{"issues": issues},
		"updateConfig": upd, "tags": tags,
	}
	if ng.RemoteAccess != nil {
		out["remoteAccess"] = ng.RemoteAccess
	}
	if ng.RemoteAccessSecurityGroup != "" {
		out["resources"].(map[string]any)["remoteAccessSecurityGroup"] = ng.RemoteAccessSecurityGroup
	}
	return out
}

func writeList(w http.ResponseWriter, c *awsproto.Call, key string, names []string, next string) {
	out := map[string]any{key: names}
	if next != "" {
		out["nextToken"] = next
	}
	awsproto.WriteJSON(w, c.RequestID, out)
}
