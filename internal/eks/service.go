package eks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/store"
)

// Service is the EKS model over the store.
type Service struct {
	Store *store.Store
	IAM   *iam.Service
	EC2   *ec2.Service
	Now   func() time.Time
	// SupportNow, if set, is the clock of the version lifecycle alone
	// (support status, automatic upgrades): keks's --clock-offset shifts
	// it, while records keep Now's real timestamps, which the controllers
	// measure their timeouts from. nil means Now.
	SupportNow func() time.Time
	// KMSKeyState is the state of a KMS key of keks's KMS ("Enabled",
	// "Disabled", ...) that an encryptionConfig names by key or alias ARN,
	// or KMS's error when there is no such key in the region and account.
	// A function rather than the KMS model: EKS needs only this answer of
	// it. nil refuses every encryptionConfig.
	KMSKeyState func(ctx context.Context, region, account, keyARN string) (string, error)
	// DatabaseSize is the size in bytes of a cluster's etcd database, which
	// a smaller scaling tier must hold. nil checks nothing.
	DatabaseSize func(ctx context.Context, clusterUID string) (int64, error)
}

func clusterKey(region, name string) string { return "eks/clusters/" + region + "/" + name }

// ClusterPrefix is where clusters live in the store.
const ClusterPrefix = "eks/clusters/"

// LogSetup switches log types on or off.
type LogSetup struct {
	Types   []string
	Enabled *bool
}

// CreateClusterInput is CreateCluster's request, already decoded.
type CreateClusterInput struct {
	Name                  string
	Version               string
	RoleARN               string
	SubnetIDs             []string
	SecurityGroupIDs      []string
	EndpointPublicAccess  *bool
	EndpointPrivateAccess *bool
	PublicAccessCIDRs     []string
	ServiceIPv4CIDR       string
	IPFamily              string
	Logging               []LogSetup
	AuthenticationMode    string
	BootstrapCreatorAdmin *bool
	SupportType           string
	DeletionProtection    *bool
	ScalingTier           string // controlPlaneScalingConfig.tier
	Tags                  map[string]string
	EncryptionConfig      []EncryptionConfig
	ClientRequestToken    string
	Region                string
	Account               string
	CallerARN             string
}

// CreateCluster validates a request as EKS does and records a CREATING cluster.
func (s *Service) CreateCluster(ctx context.Context, in CreateClusterInput) (*Cluster, error) {
	if err := validateClusterName(in.Name); err != nil {
		return nil, err
	}
	if existing, err := s.GetCluster(ctx, in.Region, in.Name); err == nil {
		if in.ClientRequestToken != "" && existing.ClientRequestToken == in.ClientRequestToken {
			return existing, nil // an idempotent retry
		}
		return nil, awserr.Errorf(CodeResourceInUse, "Cluster already exists with name: %s", in.Name).With("clusterName", in.Name)
	}
	spec := ClusterSpec{
		Version: in.Version, RoleARN: in.RoleARN, SecurityGroupIDs: in.SecurityGroupIDs,
		EndpointPublicAccess: true, PublicAccessCIDRs: []string{"0.0.0.0/0"},
		ServiceIPv4CIDR: "10.100.0.0/16", IPFamily: "ipv4", Logging: map[string]bool{},
		AuthenticationMode: "CONFIG_MAP", BootstrapCreatorAdmin: true, CreatorARN: CanonicalPrincipalARN(in.CallerARN),
		SupportType: "EXTENDED", Tags: in.Tags, EncryptionConfig: in.EncryptionConfig,
	}
	if spec.Version == "" {
		spec.Version = kubeversions.Default
	}
	v, ok := kubeversions.Lookup(spec.Version)
	if !ok || v.Minor != spec.Version || !v.Available(s.SupportTime()) {
		return nil, invalidParam(in.Name, "unsupported Kubernetes version %s", in.Version)
	}
	if in.RoleARN == "" {
		return nil, invalidParam(in.Name, "roleArn is required")
	}
	if _, err := s.IAM.RoleByARN(ctx, in.RoleARN); err != nil {
		return nil, invalidParam(in.Name, "Role with arn: %s, could not be assumed because it does not exist or the trusted entity is not correct", in.RoleARN)
	}
	vpcID, err := s.checkSubnets(ctx, in.Name, in.SubnetIDs)
	if err != nil {
		return nil, err
	}
	spec.VPCID = vpcID
	spec.SubnetIDs = slices.Clone(in.SubnetIDs)
	if len(in.SecurityGroupIDs) > 5 {
		return nil, invalidParam(in.Name, "You can specify up to 5 security groups")
	}
	for _, id := range in.SecurityGroupIDs {
		sg, err := s.EC2.GetSecurityGroup(ctx, id)
		if err != nil {
			return nil, invalidParam(in.Name, "The security group '%s' does not exist", id)
		}
		if sg.VPCID != vpcID {
			return nil, invalidParam(in.Name, "Security group %s and subnets are not in the same VPC", id)
		}
	}
	if in.EndpointPublicAccess != nil {
		spec.EndpointPublicAccess = *in.EndpointPublicAccess
	}
	if in.EndpointPrivateAccess != nil {
		spec.EndpointPrivateAccess = *in.EndpointPrivateAccess
	}
	if !spec.EndpointPublicAccess && !spec.EndpointPrivateAccess {
		return nil, invalidParam(in.Name, "At least one of endpointPublicAccess and endpointPrivateAccess must be true")
	}
	if in.PublicAccessCIDRs != nil {
		if err := validatePublicCIDRs(in.PublicAccessCIDRs); err != nil {
			return nil, err
		}
		spec.PublicAccessCIDRs = in.PublicAccessCIDRs
	}
	if in.ServiceIPv4CIDR != "" {
		if err := validateServiceCIDR(in.ServiceIPv4CIDR); err != nil {
			return nil, err
		}
		vpc, err := s.EC2.GetVPC(ctx, vpcID)
		if err != nil {
			return nil, err
		}
		if netip.MustParsePrefix(vpc.CIDR).Overlaps(netip.MustParsePrefix(in.ServiceIPv4CIDR)) {
			return nil, invalidParam(in.Name, "The specified serviceIpv4Cidr %s overlaps with the VPC CIDR %s", in.ServiceIPv4CIDR, vpc.CIDR)
		}
		spec.ServiceIPv4CIDR = in.ServiceIPv4CIDR
	}
	switch in.IPFamily {
	case "", "ipv4":
	case "ipv6":
		return nil, invalidParam(in.Name, "ipFamily ipv6 is not supported by keks yet")
	default:
		return nil, invalidParam(in.Name, "1 validation error detected: Value '%s' at 'kubernetesNetworkConfig.ipFamily' failed to satisfy constraint: Member must satisfy enum value set: [ipv4, ipv6]", in.IPFamily)
	}
	for _, l := range in.Logging {
		if err := validateLogTypes(l.Types); err != nil {
			return nil, err
		}
		for _, t := range l.Types {
			spec.Logging[t] = l.Enabled != nil && *l.Enabled
		}
	}
	switch in.AuthenticationMode {
	case "":
	case "CONFIG_MAP", "API", "API_AND_CONFIG_MAP":
		spec.AuthenticationMode = in.AuthenticationMode
	default:
		return nil, invalidParam(in.Name, "1 validation error detected: Value '%s' at 'accessConfig.authenticationMode' failed to satisfy constraint: Member must satisfy enum value set: [API, API_AND_CONFIG_MAP, CONFIG_MAP]", in.AuthenticationMode)
	}
	if in.BootstrapCreatorAdmin != nil {
		spec.BootstrapCreatorAdmin = *in.BootstrapCreatorAdmin
	}
	if spec.AuthenticationMode == AuthModeConfigMap && !spec.BootstrapCreatorAdmin {
		// In CONFIG_MAP mode the creator is the only way in until aws-auth says otherwise.
		return nil, invalidParam(in.Name, "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP")
	}
	switch in.SupportType {
	case "":
	case "STANDARD", "EXTENDED":
		spec.SupportType = in.SupportType
		if in.SupportType == "STANDARD" {
			if err := checkStandardSupport(in.Name, spec.Version, s.SupportTime()); err != nil {
				return nil, err
			}
		}
	default:
		return nil, invalidParam(in.Name, "1 validation error detected: Value '%s' at 'upgradePolicy.supportType' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXTENDED]", in.SupportType)
	}
	if in.DeletionProtection != nil {
		spec.DeletionProtection = *in.DeletionProtection
	}
	if err := validateScalingTier(in.Name, in.ScalingTier); err != nil {
		return nil, err
	}
	if in.ScalingTier != TierStandard {
		spec.ScalingTier = in.ScalingTier
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := s.checkEncryptionConfig(ctx, in.Name, in.Region, in.Account, in.EncryptionConfig); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	c := &Cluster{
		Name: in.Name, ARN: fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", in.Region, in.Account, in.Name),
		ID: newClusterID(), UID: uuid.NewString(), Region: in.Region, Account: in.Account, CreatedAt: now,
		ClientRequestToken: in.ClientRequestToken, Generation: 1, Spec: spec,
		Status: Status{Phase: StatusCreating, PlatformVersion: v.PlatformVersion},
	}
	return s.storeNewCluster(ctx, c, in.ClientRequestToken)
}

// checkSubnets applies EKS's subnet rules and returns the subnets' VPC.
func (s *Service) checkSubnets(ctx context.Context, cluster string, ids []string) (string, error) {
	if len(ids) == 0 {
		return "", invalidParam(cluster, "Subnets are required")
	}
	if len(ids) > 16 {
		return "", invalidParam(cluster, "You can specify up to 16 subnets")
	}
	zones := map[string]bool{}
	vpcID := ""
	for _, id := range ids {
		sn, err := s.EC2.GetSubnet(ctx, id)
		if err != nil {
			return "", invalidParam(cluster, "The subnet ID '%s' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound)", id)
		}
		if vpcID != "" && sn.VPCID != vpcID {
			return "", invalidParam(cluster, "Subnets %s and %s are not in the same VPC", ids[0], id)
		}
		vpcID = sn.VPCID
		zones[sn.AvailabilityZone] = true
	}
	if len(zones) < 2 {
		return "", invalidParam(cluster, "Subnets specified must be in at least two different AZs")
	}
	return vpcID, nil
}

func newClusterID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// GetCluster reads a cluster; a cluster whose deletion has finished is gone.
func (s *Service) GetCluster(ctx context.Context, region, name string) (*Cluster, error) {
	var c Cluster
	if _, err := s.Store.Get(ctx, clusterKey(region, name), &c); errors.Is(err, store.ErrNotFound) {
		return nil, clusterNotFound(name)
	} else if err != nil {
		return nil, err
	}
	return &c, nil
}

// ListAllClusters returns every cluster in every region.
func (s *Service) ListAllClusters(ctx context.Context) ([]Cluster, error) {
	return store.List[Cluster](ctx, s.Store, ClusterPrefix)
}

// ListClusters pages through a region's cluster names in name order.
func (s *Service) ListClusters(ctx context.Context, region string, maxResults int, nextToken string) ([]string, string, error) {
	all, err := store.List[Cluster](ctx, s.Store, ClusterPrefix+region+"/")
	if err != nil {
		return nil, "", err
	}
	names := make([]string, 0, len(all))
	for _, c := range all {
		names = append(names, c.Name)
	}
	return Page(names, maxResults, nextToken)
}

// Page returns one page of sorted names after the opaque token.
func Page(names []string, maxResults int, nextToken string) ([]string, string, error) {
	if maxResults == 0 {
		maxResults = 100
	}
	if maxResults < 1 {
		return nil, "", invalidParam("", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1", maxResults)
	}
	if maxResults > 100 {
		return nil, "", invalidParam("", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100", maxResults)
	}
	slices.Sort(names)
	start := 0
	if nextToken != "" {
		after, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil || !strings.HasPrefix(string(after), "k:") {
			return nil, "", invalidParam("", "The nextToken provided is invalid")
		}
		start, _ = slices.BinarySearch(names, string(after[2:])+"\x00")
	}
	end := min(start+maxResults, len(names))
	page := append([]string{}, names[start:end]...)
	token := ""
	if end < len(names) {
		token = base64.RawURLEncoding.EncodeToString([]byte("k:" + names[end-1]))
	}
	return page, token, nil
}

// DeleteCluster starts deleting a cluster once nothing depends on it: no
// node group and no Fargate profile (EKS refuses with ResourceInUse
// until they are deleted). The mark commits only while the cluster has
// none, so a group or profile created meanwhile is never left behind.
func (s *Service) DeleteCluster(ctx context.Context, region, name string) (*Cluster, error) {
	key := clusterKey(region, name)
	var out *Cluster
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		var c Cluster
		rev, err := s.Store.Get(ctx, key, &c)
		if errors.Is(err, store.ErrNotFound) {
			return clusterNotFound(name)
		} else if err != nil {
			return err
		}
		if c.Spec.DeletionProtection {
			return awserr.Errorf(CodeInvalidRequest, "Cluster %s has deletion protection enabled; disable it with update-cluster-config before deleting the cluster", name).With("clusterName", name)
		}
		ngs, err := s.Nodegroups(ctx, c.UID)
		if err != nil {
			return err
		}
		if len(ngs) > 0 {
			return awserr.Errorf(CodeResourceInUse, "Cluster has nodegroups attached").With("clusterName", name)
		}
		fps, err := s.FargateProfiles(ctx, c.UID)
		if err != nil {
			return err
		}
		if len(fps) > 0 {
			return fargateProfilesAttached(name, fps)
		}
		before := jsonString(&c)
		if !c.DeletionRequested {
			c.DeletionRequested = true
			c.Generation++
		}
		c.Status.Phase = StatusDeleting
		out = &c
		if jsonString(&c) == before {
			return nil // already deleting: nothing to write
		}
		t.Unchanged(key, rev)
		t.NoneUnder(nodegroupPrefix(c.UID))
		t.NoneUnder(fargateProfilePrefix(c.UID))
		t.Put(key, &c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fargateProfilesAttached is EKS's refusal to delete a cluster with
// Fargate profiles: "Cluster has Fargate Profiles in ACTIVE/CREATING
// state" (kubernetes-sigs/cluster-api-provider-aws#4728). A profile being
// deleted holds the cluster back too (mattclay/aws-terminator#197: "if
// there is a fargate in process of deletion, the cluster delete fails");
// with only those left, keks words it after EKS's message.
func fargateProfilesAttached(cluster string, fps []FargateProfile) error {
	msg := "Cluster has Fargate Profiles in DELETING state"
	for _, fp := range fps {
		if fp.Status != FargateProfileDeleting {
			msg = "Cluster has Fargate Profiles in ACTIVE/CREATING state"
			break
		}
	}
	return awserr.Errorf(CodeResourceInUse, "%s", msg).With("clusterName", cluster)
}

// SetStatus lets the reconciler record what it observed.
func (s *Service) SetStatus(ctx context.Context, region, name string, fn func(*Cluster) error) (*Cluster, error) {
	c, err := store.Mutate(ctx, s.Store, clusterKey(region, name), fn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, clusterNotFound(name)
	}
	return c, err
}

// Forget removes a deleted cluster's records once its resources are gone.
func (s *Service) Forget(ctx context.Context, c *Cluster) error {
	if c.Status.ClusterSecurityGroupID != "" {
		if err := s.EC2.RemoveSecurityGroup(ctx, c.Status.ClusterSecurityGroupID); err != nil {
			var e *awserr.Error
			if !errors.As(err, &e) || e.Code != ec2.CodeInvalidGroupNotFound {
				return err
			}
		}
	}
	for _, prefix := range []string{updatePrefix(c.UID), addonPrefix(c.UID), nodegroupPrefix(c.UID), accessEntryPrefix(c.UID), podIdentityPrefix(c.UID), fargateProfilePrefix(c.UID)} {
		if err := s.Store.DeletePrefix(ctx, prefix); err != nil {
			return err
		}
	}
	if err := s.Store.Delete(ctx, fargateLockKey(c.UID)); err != nil {
		return err
	}
	return s.Store.Delete(ctx, clusterKey(c.Region, c.Name))
}
