package eksapi

import (
	"strconv"
	"time"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeversions"
)

// epoch encodes a time as AWS JSON does: fractional seconds since 1970.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return []byte(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)), nil
}

type vpcConfigRequest struct {
	SubnetIDs             []string `json:"subnetIds"`
	SecurityGroupIDs      []string `json:"securityGroupIds"`
	EndpointPublicAccess  *bool    `json:"endpointPublicAccess"`
	EndpointPrivateAccess *bool    `json:"endpointPrivateAccess"`
	PublicAccessCIDRs     []string `json:"publicAccessCidrs"`
}

type logSetup struct {
	Types   []string `json:"types"`
	Enabled *bool    `json:"enabled"`
}

type logging struct {
	ClusterLogging []logSetup `json:"clusterLogging"`
}

type encryptionConfig struct {
	Resources []string `json:"resources"`
	Provider  *struct {
		KeyARN string `json:"keyArn"`
	} `json:"provider"`
}

type createClusterRequest struct {
	Name                    string            `json:"name"`
	Version                 string            `json:"version"`
	RoleARN                 string            `json:"roleArn"`
	ResourcesVpcConfig      *vpcConfigRequest `json:"resourcesVpcConfig"`
	KubernetesNetworkConfig *struct {
		ServiceIPv4CIDR string `json:"serviceIpv4Cidr"`
		IPFamily        string `json:"ipFamily"`
	} `json:"kubernetesNetworkConfig"`
	Logging      *logging          `json:"logging"`
	Tags         map[string]string `json:"tags"`
	AccessConfig *struct {
		BootstrapClusterCreatorAdminPermissions *bool  `json:"bootstrapClusterCreatorAdminPermissions"`
		AuthenticationMode                      string `json:"authenticationMode"`
	} `json:"accessConfig"`
	UpgradePolicy *struct {
		SupportType string `json:"supportType"`
	} `json:"upgradePolicy"`
	EncryptionConfig    []encryptionConfig `json:"encryptionConfig"`
	DeletionProtection  *bool              `json:"deletionProtection"`
	ClientRequestToken  string             `json:"clientRequestToken"`
	OutpostConfig       any                `json:"outpostConfig"`
	RemoteNetworkConfig any                `json:"remoteNetworkConfig"`
	ControlPlaneScaling *scalingConfig     `json:"controlPlaneScalingConfig"`
}

type scalingConfig struct {
	Tier string `json:"tier"`
}

type updateClusterConfigRequest struct {
	ResourcesVpcConfig *vpcConfigRequest `json:"resourcesVpcConfig"`
	Logging            *logging          `json:"logging"`
	AccessConfig       *struct {
		AuthenticationMode string `json:"authenticationMode"`
	} `json:"accessConfig"`
	UpgradePolicy *struct {
		SupportType string `json:"supportType"`
	} `json:"upgradePolicy"`
	DeletionProtection        *bool          `json:"deletionProtection"`
	ZonalShiftConfig          any            `json:"zonalShiftConfig"`
	ComputeConfig             any            `json:"computeConfig"`
	KubernetesNetworkConfig   any            `json:"kubernetesNetworkConfig"`
	StorageConfig             any            `json:"storageConfig"`
	RemoteNetworkConfig       any            `json:"remoteNetworkConfig"`
	ControlPlaneScalingConfig *scalingConfig `json:"controlPlaneScalingConfig"`
	ClientRequestToken        string         `json:"clientRequestToken"`
}

type clusterWire struct {
	Name                    string            `json:"name"`
	ARN                     string            `json:"arn"`
	CreatedAt               epoch             `json:"createdAt"`
	Version                 string            `json:"version"`
	Endpoint                string            `json:"endpoint,omitempty"`
	RoleARN                 string            `json:"roleArn"`
	ResourcesVpcConfig      map[string]any    `json:"resourcesVpcConfig"`
	KubernetesNetworkConfig map[string]any    `json:"kubernetesNetworkConfig"`
	Logging                 logging           `json:"logging"`
	Identity                map[string]any    `json:"identity,omitempty"`
	Status                  string            `json:"status"`
	CertificateAuthority    map[string]string `json:"certificateAuthority"`
	ClientRequestToken      string            `json:"clientRequestToken,omitempty"`
	PlatformVersion         string            `json:"platformVersion"`
	Tags                    map[string]string `json:"tags"`
	EncryptionConfig        []map[string]any  `json:"encryptionConfig,omitempty"`
	Health                  map[string]any    `json:"health"`
	AccessConfig            map[string]any    `json:"accessConfig"`
	UpgradePolicy           map[string]string `json:"upgradePolicy"`
	ZonalShiftConfig        map[string]bool   `json:"zonalShiftConfig"`
	DeletionProtection      bool              `json:"deletionProtection"`
	ControlPlaneScaling     scalingConfig     `json:"controlPlaneScalingConfig"`
}

func toWire(c *eks.Cluster) clusterWire {
	w := clusterWire{
		Name: c.Name, ARN: c.ARN, CreatedAt: epoch(c.CreatedAt), Version: reportedVersion(c), RoleARN: c.Spec.RoleARN,
		Endpoint: c.Status.Endpoint, Status: c.Status.Phase, ClientRequestToken: c.ClientRequestToken,
		PlatformVersion: c.Status.PlatformVersion, Tags: c.Spec.Tags, DeletionProtection: c.Spec.DeletionProtection,
		ResourcesVpcConfig: map[string]any{
			"subnetIds": nonNil(c.Spec.SubnetIDs), "securityGroupIds": nonNil(c.Spec.SecurityGroupIDs),
			"clusterSecurityGroupId": c.Status.ClusterSecurityGroupID, "vpcId": c.Spec.VPCID,
			"endpointPublicAccess": c.Spec.EndpointPublicAccess, "endpointPrivateAccess": c.Spec.EndpointPrivateAccess,
			"publicAccessCidrs": nonNil(c.Spec.PublicAccessCIDRs),
		},
		KubernetesNetworkConfig: map[string]any{"serviceIpv4Cidr": c.Spec.ServiceIPv4CIDR, "ipFamily": c.Spec.IPFamily, "elasticLoadBalancing": map[string]bool{"enabled": false}},
		CertificateAuthority:    map[string]string{},
		Health:                  map[string]any{"issues": []any{}},
		AccessConfig:            map[string]any{"authenticationMode": c.Spec.AuthenticationMode},
		UpgradePolicy:           map[string]string{"supportType": c.Spec.SupportType},
		ZonalShiftConfig:        map[string]bool{"enabled": false},
		ControlPlaneScaling:     scalingConfig{Tier: c.Spec.Tier().Name},
	}
	if w.Tags == nil {
		w.Tags = map[string]string{}
	}
	if c.Status.CertificateAuthority != "" {
		w.CertificateAuthority["data"] = c.Status.CertificateAuthority
	}
	if c.Status.OIDCIssuer != "" {
		w.Identity = map[string]any{"oidc": map[string]string{"issuer": c.Status.OIDCIssuer}}
	}
	var on, off []string
	for _, t := range eks.LogTypes {
		if c.Spec.Logging[t] {
			on = append(on, t)
		} else {
			off = append(off, t)
		}
	}
	t, f := true, false
	if len(on) > 0 {
		w.Logging.ClusterLogging = append(w.Logging.ClusterLogging, logSetup{Types: on, Enabled: &t})
	}
	if len(off) > 0 {
		w.Logging.ClusterLogging = append(w.Logging.ClusterLogging, logSetup{Types: off, Enabled: &f})
	}
	issues := issuesToWire(c.Status.Issues)
	w.Health["issues"] = issues
	for _, ec := range c.Spec.EncryptionConfig {
		w.EncryptionConfig = append(w.EncryptionConfig, map[string]any{"resources": ec.Resources, "provider": map[string]string{"keyArn": ec.KeyARN}})
	}
	return w
}

type updateWire struct {
	ID        string            `json:"id"`
	Status    string            `json:"status"`
	Type      string            `json:"type"`
	Params    []eks.UpdateParam `json:"params"`
	CreatedAt epoch             `json:"createdAt"`
	Errors    []eks.UpdateError `json:"errors"`
}

func updateToWire(u *eks.Update) updateWire {
	w := updateWire{ID: u.ID, Status: u.Status, Type: u.Type, Params: u.Params, CreatedAt: epoch(u.CreatedAt), Errors: u.Errors}
	if w.Params == nil {
		w.Params = []eks.UpdateParam{}
	}
	if w.Errors == nil {
		w.Errors = []eks.UpdateError{}
	}
	return w
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// reportedVersion is the version the control plane runs; during an upgrade
// EKS reports the old one until the update succeeds.
func reportedVersion(c *eks.Cluster) string {
	if v, ok := kubeversions.Lookup(c.Status.RunningVersion); ok {
		return v.Minor
	}
	return c.Spec.Version
}

func issuesToWire(in []eks.Issue) []map[string]any {
	out := []map[string]any{}
	for _, is := range in {
		out = append(out, map[string]any{"code": is.Code, "message": is.Message, "resourceIds": nonNil(is.ResourceIDs)})
	}
	return out
}
