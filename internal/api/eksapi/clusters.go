package eksapi

import (
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
)

func (h *Handler) createCluster(w http.ResponseWriter, r *http.Request, c *awsproto.Call, _ []string) error {
	var req createClusterRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Name == "" || req.RoleARN == "" || req.ResourcesVpcConfig == nil {
		return awserr.Errorf(eks.CodeInvalidParameter, "name, roleArn and resourcesVpcConfig are required")
	}
	if req.OutpostConfig != nil || req.RemoteNetworkConfig != nil {
		return awserr.Errorf(eks.CodeInvalidParameter, "keks does not support outpostConfig or remoteNetworkConfig").With("clusterName", req.Name)
	}
	in := eks.CreateClusterInput{
		Name: req.Name, Version: req.Version, RoleARN: req.RoleARN,
		SubnetIDs: req.ResourcesVpcConfig.SubnetIDs, SecurityGroupIDs: req.ResourcesVpcConfig.SecurityGroupIDs,
		EndpointPublicAccess: req.ResourcesVpcConfig.EndpointPublicAccess, EndpointPrivateAccess: req.ResourcesVpcConfig.EndpointPrivateAccess,
		PublicAccessCIDRs: req.ResourcesVpcConfig.PublicAccessCIDRs, Tags: req.Tags, DeletionProtection: req.DeletionProtection,
		ClientRequestToken: req.ClientRequestToken, Region: c.Region, Account: c.Principal.Account, CallerARN: c.Principal.ARN,
	}
	if n := req.KubernetesNetworkConfig; n != nil {
		in.ServiceIPv4CIDR, in.IPFamily = n.ServiceIPv4CIDR, n.IPFamily
	}
	if req.Logging != nil {
		in.Logging = logSetups(req.Logging)
	}
	if a := req.AccessConfig; a != nil {
		in.AuthenticationMode, in.BootstrapCreatorAdmin = a.AuthenticationMode, a.BootstrapClusterCreatorAdminPermissions
	}
	if req.UpgradePolicy != nil {
		in.SupportType = req.UpgradePolicy.SupportType
	}
	if req.ControlPlaneScaling != nil {
		in.ScalingTier = req.ControlPlaneScaling.Tier
	}
	in.EncryptionConfig = encryptionConfigs(req.EncryptionConfig)
	cl, err := h.EKS.CreateCluster(r.Context(), in)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"cluster": toWire(cl)})
	return nil
}

func logSetups(l *logging) []eks.LogSetup {
	out := []eks.LogSetup{}
	for _, s := range l.ClusterLogging {
		out = append(out, eks.LogSetup{Types: s.Types, Enabled: s.Enabled})
	}
	return out
}

func (h *Handler) describeCluster(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	cl, err := h.EKS.GetCluster(r.Context(), c.Region, labels[0])
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"cluster": toWire(cl)})
	return nil
}

func (h *Handler) listClusters(w http.ResponseWriter, r *http.Request, c *awsproto.Call, _ []string) error {
	max, err := intQuery(r, "maxResults")
	if err != nil {
		return err
	}
	if inc := r.URL.Query()["include"]; len(inc) > 0 && inc[0] != "all" {
		return awserr.Errorf(eks.CodeInvalidParameter, "include must be \"all\"")
	}
	names, next, err := h.EKS.ListClusters(r.Context(), c.Region, max, r.URL.Query().Get("nextToken"))
	if err != nil {
		return err
	}
	writeList(w, c, "clusters", names, next)
	return nil
}

func (h *Handler) deleteCluster(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	cl, err := h.EKS.DeleteCluster(r.Context(), c.Region, labels[0])
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"cluster": toWire(cl)})
	return nil
}

func (h *Handler) updateClusterConfig(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	var req updateClusterConfigRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	in := eks.UpdateClusterConfigInput{Name: labels[0], Region: c.Region, DeletionProtection: req.DeletionProtection}
	if v := req.ResourcesVpcConfig; v != nil {
		in.SubnetIDs, in.SecurityGroupIDs = v.SubnetIDs, v.SecurityGroupIDs
		in.EndpointPublicAccess, in.EndpointPrivateAccess, in.PublicAccessCIDRs = v.EndpointPublicAccess, v.EndpointPrivateAccess, v.PublicAccessCIDRs
	}
	if req.Logging != nil {
		in.Logging = logSetups(req.Logging)
	}
	if req.AccessConfig != nil {
		in.AuthenticationMode = req.AccessConfig.AuthenticationMode
	}
	if req.UpgradePolicy != nil {
		in.SupportType = req.UpgradePolicy.SupportType
	}
	if req.ControlPlaneScalingConfig != nil {
		in.ScalingTier = req.ControlPlaneScalingConfig.Tier
	}
	for name, v := range map[string]any{"zonalShiftConfig": req.ZonalShiftConfig, "computeConfig": req.ComputeConfig, "kubernetesNetworkConfig": req.KubernetesNetworkConfig,
		"storageConfig": req.StorageConfig, "remoteNetworkConfig": req.RemoteNetworkConfig} {
		if v != nil {
			in.Unsupported = append(in.Unsupported, name)
		}
	}
	u, err := h.EKS.UpdateClusterConfig(r.Context(), in)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"update": updateToWire(u)})
	return nil
}

func (h *Handler) updateClusterVersion(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	var req struct {
		Version string `json:"version"`
		Force   bool   `json:"force"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Version == "" {
		return awserr.Errorf(eks.CodeInvalidParameter, "version is required").With("clusterName", labels[0])
	}
	u, err := h.EKS.UpdateClusterVersion(r.Context(), c.Region, labels[0], req.Version)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"update": updateToWire(u)})
	return nil
}

func (h *Handler) listUpdates(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	max, err := intQuery(r, "maxResults")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ids, next, err := h.EKS.ListUpdates(r.Context(), c.Region, labels[0], q.Get("nodegroupName"), q.Get("addonName"), max, q.Get("nextToken"))
	if err != nil {
		return err
	}
	writeList(w, c, "updateIds", ids, next)
	return nil
}

func (h *Handler) describeUpdate(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	q := r.URL.Query()
	u, err := h.EKS.DescribeUpdate(r.Context(), c.Region, labels[0], labels[1], q.Get("nodegroupName"), q.Get("addonName"))
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"update": updateToWire(u)})
	return nil
}
