package eksctl

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// seedArgs is issue 14's seed 001 command line, with keks's version.
var seedArgs = []string{
	"--name", "myeks", "--region=ap-northeast-2", "--nodegroup-name=myeks-nodegroup", "--node-type=t3.medium",
	"--node-volume-size=30", "--vpc-public-subnets", "subnet-1,subnet-2", "--version", "1.37",
	"--ssh-access", "--external-dns-access",
}

func parseFlags(t *testing.T, args []string) (*ClusterConfig, error) {
	t.Helper()
	fs := pflag.NewFlagSet("create cluster", pflag.ContinueOnError)
	var f ClusterFlags
	AddClusterFlags(fs, &f)
	AddNodeGroupFlags(fs, &f)
	fs.StringVar(&f.Region, "region", "", "")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return ClusterConfigFromFlags(&f, fs.Changed, time.Unix(1700000000, 0))
}

func TestSeedCommandLineBecomesEksctlsClusterConfig(t *testing.T) {
	cfg, err := parseFlags(t, seedArgs)
	if err != nil {
		t.Fatal(err)
	}
	SetDefaults(cfg)
	if err := Validate(cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Metadata.Name != "myeks" || cfg.Metadata.Region != "ap-northeast-2" || cfg.Metadata.Version != "1.37" {
		t.Errorf("metadata = %+v", cfg.Metadata)
	}
	if !cfg.HasSubnetIDs() || cfg.VPC.CIDR != "" {
		t.Errorf("given subnets must not make a VPC: %+v", cfg.VPC)
	}
	if got := len(cfg.VPC.Subnets.Public); got != 2 || cfg.VPC.Subnets.Public["subnet-1"].ID != "subnet-1" {
		t.Errorf("public subnets = %+v", cfg.VPC.Subnets.Public)
	}
	if len(cfg.ManagedNodeGroups) != 1 {
		t.Fatalf("managed node groups = %d", len(cfg.ManagedNodeGroups))
	}
	ng := cfg.ManagedNodeGroups[0]
	if ng.Name != "myeks-nodegroup" || ng.InstanceType != "t3.medium" || *ng.VolumeSize != 30 ||
		*ng.DesiredCapacity != 2 || *ng.MinSize != 2 || *ng.MaxSize != 2 {
		t.Errorf("node group = %+v", ng)
	}
	if !isEnabled(ng.SSH.Allow) || ng.SSH.PublicKeyPath != "~/.ssh/id_rsa.pub" {
		t.Errorf("ssh = %+v", ng.SSH)
	}
	if !isEnabled(ng.IAM.WithAddonPolicies.ExternalDNS) || isEnabled(ng.IAM.WithAddonPolicies.AutoScaler) {
		t.Errorf("addon policies = %+v", ng.IAM.WithAddonPolicies)
	}
	if ng.Labels[TagClusterName] != "myeks" || ng.Labels[TagNodeGroupName] != "myeks-nodegroup" || ng.Tags[TagNodeGroupType] != "managed" {
		t.Errorf("labels %v tags %v", ng.Labels, ng.Tags)
	}
}

func TestDefaultsAreEksctls(t *testing.T) {
	cfg, err := parseFlags(t, []string{"--region", "us-west-2"})
	if err != nil {
		t.Fatal(err)
	}
	SetDefaults(cfg)
	if !strings.HasSuffix(cfg.Metadata.Name, "-1700000000") || strings.Count(cfg.Metadata.Name, "-") != 2 {
		t.Errorf("generated name %q is not eksctl's <word>-<word>-<unix time>", cfg.Metadata.Name)
	}
	ng := cfg.ManagedNodeGroups[0]
	if !strings.HasPrefix(ng.Name, "ng-") || len(ng.Name) != 11 {
		t.Errorf("generated nodegroup name %q", ng.Name)
	}
	if ng.InstanceType != "m5.large" || *ng.DesiredCapacity != 2 || *ng.VolumeSize != 80 || ng.AMIFamily != "AmazonLinux2023" {
		t.Errorf("node group defaults = %+v", ng)
	}
	if cfg.VPC.CIDR != "192.168.0.0/16" || cfg.VPC.NAT.Gateway != "Single" || !isEnabled(cfg.VPC.ClusterEndpoints.PublicAccess) {
		t.Errorf("vpc defaults = %+v", cfg.VPC)
	}
	if cfg.AccessConfig.AuthenticationMode != "API_AND_CONFIG_MAP" {
		t.Errorf("authenticationMode = %q", cfg.AccessConfig.AuthenticationMode)
	}
}

func TestNodesFlagsSetBounds(t *testing.T) {
	cfg, err := parseFlags(t, []string{"--region", "r", "--nodes", "3", "--nodes-min", "1", "--nodes-max", "5"})
	if err != nil {
		t.Fatal(err)
	}
	ng := cfg.ManagedNodeGroups[0]
	if *ng.DesiredCapacity != 3 || *ng.MinSize != 1 || *ng.MaxSize != 5 {
		t.Errorf("scaling = %d %d %d", *ng.DesiredCapacity, *ng.MinSize, *ng.MaxSize)
	}
	cfg, _ = parseFlags(t, []string{"--region", "r", "--nodes", "4"})
	if ng := cfg.ManagedNodeGroups[0]; *ng.MinSize != 4 || *ng.MaxSize != 4 {
		t.Errorf("--nodes alone: min %d max %d", *ng.MinSize, *ng.MaxSize)
	}
}

func TestUnmanagedAndUnsupportedVersionsAreRefused(t *testing.T) {
	if _, err := parseFlags(t, []string{"--region", "r", "--managed=false"}); err != ErrUnmanagedNodeGroups {
		t.Errorf("--managed=false: %v", err)
	}
	cfg, _ := parseFlags(t, []string{"--region", "r", "--version", "1.28"})
	SetDefaults(cfg)
	err := Validate(cfg)
	if err == nil || !strings.Contains(err.Error(), "invalid version, 1.28 is no longer supported, supported values: 1.34") {
		t.Errorf("1.28: %v", err)
	}
	cfg, _ = parseFlags(t, []string{"--region", "r", "--version", "1.99"})
	SetDefaults(cfg)
	if err := Validate(cfg); err == nil || !strings.Contains(err.Error(), "invalid version 1.99") {
		t.Errorf("1.99: %v", err)
	}
}

func TestWithoutNodegroupAndFargate(t *testing.T) {
	cfg, _ := parseFlags(t, []string{"--region", "r", "--without-nodegroup", "--with-oidc"})
	if len(cfg.ManagedNodeGroups) != 0 || !isEnabled(cfg.IAM.WithOIDC) {
		t.Errorf("without nodegroup: %+v", cfg)
	}
	cfg, _ = parseFlags(t, []string{"--region", "r", "--fargate"})
	if len(cfg.FargateProfiles) != 1 || cfg.FargateProfiles[0].Name != "fp-default" || len(cfg.FargateProfiles[0].Selectors) != 2 {
		t.Errorf("fargate: %+v", cfg.FargateProfiles)
	}
}

const fullConfig = `
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: demo
  region: us-west-2
  version: "1.36"
  tags: {team: a}
vpc:
  cidr: 10.10.0.0/16
  nat: {gateway: HighlyAvailable}
iam:
  withOIDC: true
  serviceAccounts:
  - metadata: {name: s3-reader, namespace: backend, labels: {app: x}}
    attachPolicyARNs: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
  - metadata: {name: dns}
    wellKnownPolicies: {externalDNS: true}
managedNodeGroups:
- name: ng-1
  instanceType: t3.large
  desiredCapacity: 3
  minSize: 1
  maxSize: 4
  volumeSize: 40
  labels: {role: worker}
  taints: [{key: dedicated, value: x, effect: NoSchedule}]
  ssh: {allow: true, publicKeyName: mykey}
  iam:
    attachPolicyARNs: [arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy]
    withAddonPolicies: {autoScaler: true, albIngress: true, ebs: true}
  privateNetworking: true
  availabilityZones: [us-west-2a]
fargateProfiles:
- name: fp-dev
  selectors: [{namespace: dev, labels: {env: dev}}]
addons:
- name: vpc-cni
  version: latest
  configurationValues: '{"env":{}}'
accessConfig:
  authenticationMode: API
  bootstrapClusterCreatorAdminPermissions: false
  accessEntries:
  - principalARN: arn:aws:iam::111122223333:role/admin
    accessPolicies:
    - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
      accessScope: {type: cluster}
cloudWatch:
  clusterLogging: {enableTypes: ["api", "audit"]}
secretsEncryption: {keyARN: "arn:aws:kms:us-west-2:111122223333:key/abc"}
`

func TestConfigFileDecodesAndDefaults(t *testing.T) {
	cfg, err := Parse([]byte(fullConfig))
	if err != nil {
		t.Fatal(err)
	}
	SetDefaults(cfg)
	if err := Validate(cfg); err != nil {
		t.Fatal(err)
	}
	ng := cfg.ManagedNodeGroups[0]
	if *ng.DesiredCapacity != 3 || *ng.MinSize != 1 || *ng.MaxSize != 4 || ng.SSH.PublicKeyName != "mykey" || ng.SSH.PublicKeyPath != "" {
		t.Errorf("node group = %+v ssh %+v", ng, ng.SSH)
	}
	if !isEnabled(ng.IAM.WithAddonPolicies.AWSLoadBalancerController) || ng.IAM.WithAddonPolicies.ALBIngress != nil {
		t.Errorf("albIngress must become awsLoadBalancerController: %+v", ng.IAM.WithAddonPolicies)
	}
	if cfg.IAM.ServiceAccounts[1].Metadata.Namespace != "default" {
		t.Errorf("service account namespace default: %+v", cfg.IAM.ServiceAccounts[1].Metadata)
	}
	if cfg.AccessConfig.AuthenticationMode != "API" || len(cfg.AccessConfig.AccessEntries) != 1 {
		t.Errorf("access config = %+v", cfg.AccessConfig)
	}
}

func TestConfigFileIsStrict(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field":     "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: a, region: r}\nmanagedNodeGroups:\n- name: x\n  instanceTyp: t3.medium\n",
		"unknown top level": "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: a, region: r}\nfoo: 1\n",
		"wrong kind":        "apiVersion: eksctl.io/v1alpha5\nkind: Cluster\nmetadata: {name: a, region: r}\n",
		"wrong api version": "apiVersion: eksctl.io/v1alpha4\nkind: ClusterConfig\nmetadata: {name: a, region: r}\n",
		"duplicated field":  "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: a, region: r}\nkind: ClusterConfig\n",
		"not yaml":          "{{{",
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestConfigFileValidation(t *testing.T) {
	base := "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: a, region: r}\n"
	for name, extra := range map[string]string{
		"unmanaged":             "nodeGroups: [{name: x}]\n",
		"sa without oidc":       "iam: {serviceAccounts: [{metadata: {name: x}, attachPolicyARNs: [a]}]}\n",
		"sa without policy":     "iam: {withOIDC: true, serviceAccounts: [{metadata: {name: x}}]}\n",
		"desired above max":     "managedNodeGroups: [{name: x, desiredCapacity: 5, maxSize: 2}]\n",
		"bad taint":             "managedNodeGroups: [{name: x, taints: [{key: k, effect: Sometimes}]}]\n",
		"bad log type":          "cloudWatch: {clusterLogging: {enableTypes: [everything]}}\n",
		"bad nat":               "vpc: {nat: {gateway: Double}}\n",
		"fargate no selector":   "fargateProfiles: [{name: x}]\n",
		"bad cidr prefix":       "vpc: {cidr: 10.0.0.0/8}\n",
		"duplicate node groups": "managedNodeGroups: [{name: x}, {name: x}]\n",
		"bad name":              "managedNodeGroups: [{name: 1x}]\n",
	} {
		cfg, err := Parse([]byte(base + extra))
		if err != nil {
			t.Errorf("%s: parse: %v", name, err)
			continue
		}
		SetDefaults(cfg)
		if err := Validate(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSplitInto8AndSubnets(t *testing.T) {
	cfg := NewClusterConfig()
	cfg.Metadata = ClusterMeta{Name: "x", Region: "us-east-1"}
	cfg.AvailabilityZones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	SetDefaults(cfg)
	lines, err := SetSubnets(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"subnets for us-east-1a - public:192.168.0.0/19 private:192.168.96.0/19",
		"subnets for us-east-1b - public:192.168.32.0/19 private:192.168.128.0/19",
		"subnets for us-east-1c - public:192.168.64.0/19 private:192.168.160.0/19",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines = %q", lines)
	}
	eighths, _ := SplitInto8("10.0.0.0/24")
	if eighths[1] != "10.0.0.32/27" || eighths[7] != "10.0.0.224/27" {
		t.Errorf("/24 split = %v", eighths)
	}
}

func TestFingerprint(t *testing.T) {
	// The MD5 of the key blob, as `ssh-keygen -l -E md5` prints it.
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBC0bZ6P3m5ZCX6AKYw8a3b1nL1B8W1ZJp1Vw2Z1xk8y user@host"
	fp, err := Fingerprint([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	if len(fp) != 47 || strings.Count(fp, ":") != 15 {
		t.Errorf("fingerprint %q", fp)
	}
	if got := KeyPairName("myeks", "ng", fp); got != "eksctl-myeks-nodegroup-ng-"+fp {
		t.Errorf("key pair name %q", got)
	}
	if _, err := Fingerprint([]byte("garbage")); err == nil {
		t.Error("garbage accepted")
	}
}
