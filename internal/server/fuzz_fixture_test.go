package server_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/ecr"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/kubeversions"
)

// The fuzzers' seeds name resources with placeholders ($ROLE, $SUBNET...)
// that stand for ids made afresh in every test process, so that a saved
// failing input replays against whatever ids the process has.

var fuzzFixture struct {
	once sync.Once
	vars *strings.Replacer
	err  error
}

// fuzzVars makes, once per process, the resources the seeds act on and
// returns the replacer of their placeholders.
func fuzzVars(t testing.TB) *strings.Replacer {
	t.Helper()
	fuzzFixture.once.Do(func() { fuzzFixture.vars, fuzzFixture.err = makeFuzzFixture(context.Background()) })
	if fuzzFixture.err != nil {
		t.Fatalf("fuzz fixture: %v", fuzzFixture.err)
	}
	return fuzzFixture.vars
}

// fuzzRegion is where the fuzzers work: apart from the other tests'
// clusters, VPCs and repositories, which they count.
const fuzzRegion = "eu-west-1"

func makeFuzzFixture(ctx context.Context) (*strings.Replacer, error) {
	m := testServer.models
	acct := m.Bootstrap.AccountID
	v := map[string]string{"$ACCOUNT": acct}

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + m.Bootstrap.UserARN + `","Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role, err := m.IAM.CreateRole(ctx, iam.Role{Name: "fz-role", AssumeRolePolicy: trust})
	if err != nil {
		return nil, fmt.Errorf("role: %w", err)
	}
	v["$ROLE"] = role.ARN
	if _, err := m.IAM.CreateRole(ctx, iam.Role{Name: "fz-role-del", AssumeRolePolicy: trust}); err != nil {
		return nil, fmt.Errorf("role to delete: %w", err)
	}
	for _, u := range []string{"fz-user", "fz-user-del"} {
		if _, err := m.IAM.CreateUser(ctx, u, "", nil); err != nil {
			return nil, fmt.Errorf("user %s: %w", u, err)
		}
	}
	key, err := m.IAM.CreateAccessKey(ctx, "fz-user")
	if err != nil {
		return nil, fmt.Errorf("access key: %w", err)
	}
	v["$USER_KEY"] = key.ID
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}`
	for placeholder, name := range map[string]string{"$POLICY": "fz-pol", "$POLICY_DEL": "fz-pol-del"} {
		p, err := m.IAM.CreatePolicy(ctx, iam.Policy{Name: name, Document: doc})
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", name, err)
		}
		v[placeholder] = p.ARN
	}

	// The clusters' network: a private subnet in each of two zones.
	home, err := m.EC2.CreateVPC(ctx, fuzzRegion, acct, "10.76.0.0/16", false, nil)
	if err != nil {
		return nil, fmt.Errorf("the clusters' VPC: %w", err)
	}
	var pair []string
	for i, zone := range []string{"a", "b"} {
		sn, err := m.EC2.CreateSubnet(ctx, ec2.Subnet{VPCID: home.ID, CIDR: fmt.Sprintf("10.76.%d.0/24", i), AvailabilityZone: fuzzRegion + zone})
		if err != nil {
			return nil, fmt.Errorf("the clusters' subnet: %w", err)
		}
		pair = append(pair, sn.ID)
	}
	v["$SUBNET_A"], v["$SUBNET_B"] = pair[0], pair[1]
	vpc, err := m.EC2.CreateVPC(ctx, fuzzRegion, acct, "10.77.0.0/16", false, nil)
	if err != nil {
		return nil, fmt.Errorf("VPC: %w", err)
	}
	v["$VPC"] = vpc.ID
	for placeholder, cidr := range map[string]string{"$SUBNET": "10.77.1.0/24", "$SUBNET_DEL": "10.77.9.0/24"} {
		sn, err := m.EC2.CreateSubnet(ctx, ec2.Subnet{VPCID: vpc.ID, CIDR: cidr, AvailabilityZone: fuzzRegion + "a"})
		if err != nil {
			return nil, fmt.Errorf("subnet %s: %w", cidr, err)
		}
		v[placeholder] = sn.ID
	}
	sg, err := m.EC2.CreateSecurityGroup(ctx, ec2.SecurityGroup{VPCID: vpc.ID, Name: "fz-sg-del", Description: "deleted by a seed"})
	if err != nil {
		return nil, fmt.Errorf("security group: %w", err)
	}
	v["$SG_DEL"] = sg.ID
	sgRules, err := m.EC2.CreateSecurityGroup(ctx, ec2.SecurityGroup{VPCID: vpc.ID, Name: "fz-sg-rules", Description: "its rules change"})
	if err != nil {
		return nil, fmt.Errorf("security group: %w", err)
	}
	v["$SG_RULES"] = sgRules.ID
	v["$SG_RULE"] = sgRules.Rules[0].ID // its default egress rule
	vpcDel, err := m.EC2.CreateVPC(ctx, fuzzRegion, acct, "10.79.0.0/16", false, nil)
	if err != nil {
		return nil, fmt.Errorf("VPC to delete: %w", err)
	}
	v["$VPC_DEL"] = vpcDel.ID
	in, err := m.EC2.RunInstance(ctx, ec2.Instance{SubnetID: v["$SUBNET"], InstanceType: "t3.small", ImageID: "ami-fuzz"})
	if err != nil {
		return nil, fmt.Errorf("instance: %w", err)
	}
	v["$INSTANCE"] = in.ID
	if err := ebsFixture(ctx, v); err != nil {
		return nil, err
	}
	if err := networkFixture(ctx, v); err != nil {
		return nil, err
	}

	cluster := func(name, version string) (*eks.Cluster, error) {
		_, err := m.EKS.CreateCluster(ctx, eks.CreateClusterInput{Name: name, Version: version, RoleARN: role.ARN, SubnetIDs: pair,
			Region: fuzzRegion, Account: acct, CallerARN: m.Bootstrap.UserARN})
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", name, err)
		}
		return m.EKS.SetStatus(ctx, fuzzRegion, name, func(c *eks.Cluster) error { c.Status.Phase = eks.StatusActive; return nil })
	}
	fz, err := cluster("fz", "")
	if err != nil {
		return nil, err
	}
	v["$CLUSTER_ARN"] = fz.ARN
	all := kubeversions.All()
	if _, err := cluster("fz-old", all[len(all)-2].Minor); err != nil {
		return nil, err
	}
	if _, err := cluster("fz-del", ""); err != nil {
		return nil, err
	}
	// A finished update to describe.
	on := true
	up, err := m.EKS.UpdateClusterConfig(ctx, eks.UpdateClusterConfigInput{Name: "fz", Region: fuzzRegion, Logging: []eks.LogSetup{{Types: []string{"audit"}, Enabled: &on}}})
	if err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	if err := m.EKS.FinishUpdate(ctx, *up, nil); err != nil {
		return nil, err
	}
	if _, err := m.EKS.SetStatus(ctx, fuzzRegion, "fz", func(c *eks.Cluster) error { c.Status.Phase = eks.StatusActive; return nil }); err != nil {
		return nil, err
	}
	v["$UPDATE"] = up.ID
	// vpc-cni goes, so that a seed may create it; coredns is ready to update.
	cni, err := m.EKS.GetAddon(ctx, fuzzRegion, "fz", "vpc-cni")
	if err != nil {
		return nil, err
	}
	if err := m.EKS.ForgetAddon(ctx, cni); err != nil {
		return nil, err
	}
	for _, name := range []string{"coredns", "kube-proxy"} {
		a, err := m.EKS.GetAddon(ctx, fuzzRegion, "fz", name)
		if err != nil {
			return nil, err
		}
		if _, err := m.EKS.SetAddon(ctx, a, func(a *eks.Addon) error { a.Status = eks.AddonActive; return nil }); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{"fz-ng", "fz-ngv", "fz-ngd"} {
		ng, err := m.EKS.CreateNodegroup(ctx, eks.CreateNodegroupInput{ClusterName: "fz", Name: name, Region: fuzzRegion, Account: acct, Subnets: pair, NodeRole: role.ARN})
		if err != nil {
			return nil, fmt.Errorf("node group %s: %w", name, err)
		}
		ng, err = m.EKS.SetNodegroup(ctx, ng, func(n *eks.Nodegroup) error { n.Status = eks.NodegroupActive; return nil })
		if err != nil {
			return nil, err
		}
		v["$NG_ARN"] = ng.ARN
	}

	// A Pod Identity role, and an association of it to describe, update and delete.
	podTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	podRole, err := m.IAM.CreateRole(ctx, iam.Role{Name: "fz-pod-role", AssumeRolePolicy: podTrust})
	if err != nil {
		return nil, fmt.Errorf("pod identity role: %w", err)
	}
	v["$POD_ROLE"] = podRole.ARN
	assoc, err := m.EKS.CreatePodIdentityAssociation(ctx, eks.CreatePodIdentityAssociationInput{Region: fuzzRegion, ClusterName: "fz",
		Namespace: "default", ServiceAccount: "fz-sa", RoleARN: podRole.ARN})
	if err != nil {
		return nil, fmt.Errorf("pod identity association: %w", err)
	}
	v["$ASSOCIATION"], v["$ASSOCIATION_ARN"] = assoc.AssociationID, assoc.AssociationARN

	// An OIDC identity provider config, associated (its update finished),
	// and a cluster without one to associate one with.
	if _, err := cluster("fz-idp2", ""); err != nil {
		return nil, err
	}
	// Clusters with no update in progress for Fargate profiles: fz-fg gets
	// one; fz-fg2's ACTIVE fz-fp-del is deleted. $FARGATE_ROLE is a pod
	// execution role.
	fargateTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	fargateRole, err := m.IAM.CreateRole(ctx, iam.Role{Name: "fz-fargate", AssumeRolePolicy: fargateTrust})
	if err != nil {
		return nil, fmt.Errorf("pod execution role: %w", err)
	}
	v["$FARGATE_ROLE"] = fargateRole.ARN
	for _, name := range []string{"fz-fg", "fz-fg2"} {
		if _, err := cluster(name, ""); err != nil {
			return nil, err
		}
	}
	fp, err := m.EKS.CreateFargateProfile(ctx, eks.CreateFargateProfileInput{Region: fuzzRegion, Account: acct, ClusterName: "fz-fg2", Name: "fz-fp-del",
		PodExecutionRoleARN: fargateRole.ARN, Selectors: []eks.FargateSelector{{Namespace: "default"}}})
	if err != nil {
		return nil, fmt.Errorf("Fargate profile: %w", err)
	}
	if _, err := m.EKS.SetFargateProfile(ctx, fp, func(p *eks.FargateProfile) error { p.Status = eks.FargateProfileActive; return nil }); err != nil {
		return nil, err
	}
	if _, err := cluster("fz-idp", ""); err != nil {
		return nil, err
	}
	idpUpdate, err := m.EKS.AssociateIdentityProviderConfig(ctx, eks.AssociateIdentityProviderConfigInput{Region: fuzzRegion, ClusterName: "fz-idp",
		Name: "fz-oidc", IssuerURL: "https://idp.example.com", ClientID: "kubernetes"})
	if err != nil {
		return nil, fmt.Errorf("identity provider config: %w", err)
	}
	if err := m.EKS.FinishUpdate(ctx, *idpUpdate, nil); err != nil {
		return nil, err
	}
	idpCluster, err := m.EKS.SetStatus(ctx, fuzzRegion, "fz-idp", func(c *eks.Cluster) error { c.Status.Phase = eks.StatusActive; return nil })
	if err != nil {
		return nil, err
	}
	v["$IDP_ARN"] = idpCluster.Spec.OIDCIdentityProvider.ARN

	for _, name := range []string{"fz/repo", "fz/del"} {
		if _, err := m.ECR.CreateRepository(ctx, fuzzRegion, acct, ecr.Repository{Name: name}); err != nil {
			return nil, fmt.Errorf("repository %s: %w", name, err)
		}
	}

	// Longest first: the replacer tries placeholders in order, and $SUBNET
	// must not take the start of $SUBNET_A.
	names := slices.SortedFunc(maps.Keys(v), func(a, b string) int { return len(b) - len(a) })
	var pairs []string
	for _, k := range names {
		pairs = append(pairs, k, v[k])
	}
	return strings.NewReplacer(pairs...), nil
}

// ebsFixture makes what the EBS seeds act on: a running instance of zone a,
// available volumes there, and completed snapshots, as the host would
// leave them.
func ebsFixture(ctx context.Context, v map[string]string) error {
	m := testServer.models
	in, err := m.EC2.RunInstance(ctx, ec2.Instance{SubnetID: v["$SUBNET"], InstanceType: "t3.small", ImageID: "ami-fuzz"})
	if err != nil {
		return fmt.Errorf("volume instance: %w", err)
	}
	if _, err := m.EC2.UpdateInstance(ctx, in.ID, func(i *ec2.Instance) error { i.State = ec2.StateRunning; return nil }); err != nil {
		return err
	}
	v["$VOL_INSTANCE"] = in.ID
	size := 8
	for _, placeholder := range []string{"$VOLUME", "$VOLUME_DEL"} {
		vol, err := m.EC2.CreateVolume(ctx, ec2.CreateVolumeInput{Region: fuzzRegion, Account: m.Bootstrap.AccountID, Zone: fuzzRegion + "a",
			VolumeRequest: ec2.VolumeRequest{Size: &size, Type: "gp3"}, Tags: map[string]string{"team": "fz"}})
		if err != nil {
			return fmt.Errorf("volume %s: %w", placeholder, err)
		}
		if err := m.EC2.VolumeCreated(ctx, vol.ID); err != nil {
			return err
		}
		v[placeholder] = vol.ID
	}
	for _, placeholder := range []string{"$SNAPSHOT", "$SNAPSHOT_DEL"} {
		snap, err := m.EC2.CreateSnapshot(ctx, fuzzRegion, v["$VOLUME"], "fuzz", map[string]string{"team": "fz"})
		if err != nil {
			return fmt.Errorf("snapshot %s: %w", placeholder, err)
		}
		if err := m.EC2.SnapshotCompleted(ctx, snap.ID); err != nil {
			return err
		}
		v[placeholder] = snap.ID
	}
	return nil
}
