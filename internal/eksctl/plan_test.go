package eksctl

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func testManager(f *fakeAWS, out *bytes.Buffer, verbosity int) *Manager {
	return &Manager{
		Clients: f.clients(),
		Log:     &Logger{Out: out, Verbosity: verbosity, Now: func() time.Time { return time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC) }},
		Poll:    time.Millisecond,
		Zones:   func(region string) []string { return []string{region + "a", region + "b", region + "c"} },
		Shuffle: func([]string) {},
	}
}

func TestCreatePlanOrder(t *testing.T) {
	cfg, err := Parse([]byte(fullConfig))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ManagedNodeGroups = append(cfg.ManagedNodeGroups, &ManagedNodeGroup{Name: "ng-2"})
	SetDefaults(cfg)
	m := testManager(newFakeAWS(), &bytes.Buffer{}, 3)
	plan := m.CreateClusterPlan(cfg, &clusterState{})
	want := []string{
		`create cluster control plane "demo"`,
		"wait for control plane to become ready",
		"associate IAM OIDC provider",
		`create access entry for principal ARN "arn:aws:iam::111122223333:role/admin"`,
		"update CloudWatch logging configuration",
		`create fargate profile "fp-dev"`,
		`create managed nodegroup "ng-1"`,
		`create managed nodegroup "ng-2"`,
		`create addon "vpc-cni"`,
		`create IAM role for serviceaccount "backend/s3-reader"`,
		`create IAM role for serviceaccount "default/dns"`,
	}
	if got := plan.Leaves(); !reflect.DeepEqual(got, want) {
		t.Errorf("plan:\n got %q\nwant %q", got, want)
	}
	if d := plan.Describe(); !strings.HasPrefix(d, `2 sequential tasks: { create cluster control plane "demo", 8 sequential sub-tasks: { wait for control plane to become ready, associate IAM OIDC provider,`) ||
		!strings.Contains(d, `2 parallel sub-tasks: { create managed nodegroup "ng-1", create managed nodegroup "ng-2" }`) {
		t.Errorf("describe = %s", d)
	}

	seed := seedConfig(t)
	if got := m.CreateClusterPlan(seed, &clusterState{}).Describe(); got != `2 sequential tasks: { create cluster control plane "myeks", 2 sequential sub-tasks: { wait for control plane to become ready, create managed nodegroup "myeks-nodegroup" } }` {
		t.Errorf("seed plan = %s", got)
	}
}

func writeKey(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "id_rsa.pub")
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBC0bZ6P3m5ZCX6AKYw8a3b1nL1B8W1ZJp1Vw2Z1xk8y user@host\n"
	if err := os.WriteFile(path, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCreateClusterOnGivenSubnets(t *testing.T) {
	f := newFakeAWS()
	var out bytes.Buffer
	m := testManager(f, &out, 4)
	cfg, err := parseFlags(t, append(seedArgs[:0:0], append(seedArgs, "--ssh-public-key", writeKey(t))...))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Metadata.Region = "us-west-2"
	ctx := context.Background()
	if err := m.Prepare(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateCluster(ctx, cfg, CreateOptions{}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	fp, _ := Fingerprint([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBC0bZ6P3m5ZCX6AKYw8a3b1nL1B8W1ZJp1Vw2Z1xk8y"))
	key := "eksctl-myeks-nodegroup-myeks-nodegroup-" + fp
	want := []string{
		"DescribeSubnets [subnet-1 subnet-2]",
		"ImportKeyPair " + key,
		"CreateStack eksctl-myeks-cluster",
		"CreateStack eksctl-myeks-nodegroup-myeks-nodegroup",
	}
	if !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls:\n got %q\nwant %q", f.calls, want)
	}
	if !strings.Contains(f.bodies["eksctl-myeks-nodegroup-myeks-nodegroup"], `"Ec2SshKey":"`+key+`"`) {
		t.Errorf("nodegroup template does not use the imported key: %s", f.bodies["eksctl-myeks-nodegroup-myeks-nodegroup"])
	}
	tags := map[string]string{}
	for _, tg := range f.stacks["eksctl-myeks-nodegroup-myeks-nodegroup"].Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if tags[TagClusterName] != "myeks" || tags[TagNodeGroupName] != "myeks-nodegroup" || tags[TagNodeGroupType] != "managed" {
		t.Errorf("stack tags = %v", tags)
	}
	log := out.String()
	for _, line := range []string{
		"2026-12-06 03:00:00 [ℹ]  using existing VPC (vpc-1) and subnets (private:map[] public:map[us-west-2a:{subnet-1 us-west-2a 172.31.0.0/20} us-west-2b:{subnet-2 us-west-2b 172.31.16.0/20}])\n",
		`[ℹ]  nodegroup "myeks-nodegroup" will use "" [AmazonLinux2023/1.37]`,
		`[ℹ]  using SSH public key "`,
		`[ℹ]  creating EKS cluster "myeks" in "us-west-2" region with managed nodes`,
		`[ℹ]  will create 2 separate CloudFormation stacks for cluster itself and the initial managed nodegroup`,
		`[ℹ]  building cluster stack "eksctl-myeks-cluster"`,
		`[ℹ]  deploying stack "eksctl-myeks-cluster"`,
		`[▶]  AWS::EC2::VPC/VPC: CREATE_IN_PROGRESS`,
		`[ℹ]  building managed nodegroup stack "eksctl-myeks-nodegroup-myeks-nodegroup"`,
		`[✔]  all EKS cluster resources for "myeks" have been created`,
		`[✔]  EKS cluster "myeks" in "us-west-2" region is ready`,
	} {
		if !strings.Contains(log, line) {
			t.Errorf("log lacks %q:\n%s", line, log)
		}
	}
}

func TestCreateClusterWithItsOwnVPCAndEverything(t *testing.T) {
	f := newFakeAWS()
	var out bytes.Buffer
	m := testManager(f, &out, 3)
	cfg, err := Parse([]byte(strings.Replace(fullConfig, "  availabilityZones: [us-west-2a]\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.IAM.ServiceAccounts[0].RoleOnly = boolPtr(true)
	cfg.IAM.ServiceAccounts = cfg.IAM.ServiceAccounts[:1]
	f.keyPairs = []string{"mykey"}
	ctx := context.Background()
	if err := m.Prepare(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateCluster(ctx, cfg, CreateOptions{}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	want := []string{
		"CreateStack eksctl-demo-cluster",
		"CreateOpenIDConnectProvider https://127.0.0.1:1/id/ABC [sts.amazonaws.com]",
		"CreateStack eksctl-demo-accessentry-9b517602c50ddc33bf0b",
		"UpdateClusterConfig logging [api audit]",
		"CreateFargateProfile fp-dev role=arn:aws:iam::1:role/fargate subnets=[subnet-subnetprivateuswest2a subnet-subnetprivateuswest2b]",
		"CreateStack eksctl-demo-nodegroup-ng-1",
		"CreateAddon vpc-cni",
		"CreateStack eksctl-demo-addon-iamserviceaccount-backend-s3-reader",
	}
	if !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls:\n got %q\nwant %q", f.calls, want)
	}
	if body := f.bodies["eksctl-demo-accessentry-9b517602c50ddc33bf0b"]; !strings.Contains(body, `"AccessEntry":{"Type":"AWS::EKS::AccessEntry","Properties":{"AccessPolicies":[{"AccessScope":{"Type":"cluster"},"PolicyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"}],"ClusterName":"demo","PrincipalArn":"arn:aws:iam::111122223333:role/admin"}}`) {
		t.Errorf("access entry template: %s", body)
	}
}

func TestCreateFailureReportsTheStacksFailedEvents(t *testing.T) {
	f := newFakeAWS()
	f.failStack = "eksctl-myeks-cluster"
	var out bytes.Buffer
	m := testManager(f, &out, 3)
	cfg := seedConfig(t)
	cfg.Metadata.Region = "us-west-2"
	f.keyPairs = []string{cfg.ManagedNodeGroups[0].SSH.PublicKeyName}
	err := m.CreateCluster(context.Background(), cfg, CreateOptions{})
	if err == nil || err.Error() != `failed to create cluster "myeks"` {
		t.Fatalf("err = %v", err)
	}
	log := out.String()
	for _, line := range []string{
		`[✖]  AWS::EKS::Cluster/ControlPlane: CREATE_FAILED – "Subnets specified must be in at least two different AZs"`,
		`[!]  1 error(s) occurred and cluster hasn't been created properly, you may wish to check CloudFormation console`,
		`[ℹ]  to cleanup resources, run 'keks delete cluster --region=us-west-2 --name=myeks'`,
		`[✖]  ResourceNotReady: failed waiting for successful resource state`,
	} {
		if !strings.Contains(log, line) {
			t.Errorf("log lacks %q:\n%s", line, log)
		}
	}
	for _, c := range f.calls {
		if strings.Contains(c, "nodegroup") {
			t.Errorf("node group stack created after the cluster stack failed: %v", f.calls)
		}
	}
}

func TestDeletePlanOrder(t *testing.T) {
	m := testManager(newFakeAWS(), &bytes.Buffer{}, 3)
	r := &ClusterResources{
		Name: "demo", ClusterStack: "eksctl-demo-cluster", ClusterExists: true,
		NodeGroupStacks:        []string{"eksctl-demo-nodegroup-ng-1"},
		ServiceAccountStacks:   []string{"eksctl-demo-addon-iamserviceaccount-backend-s3"},
		AccessEntryStacks:      []string{"eksctl-demo-accessentry-abc"},
		NodeGroupsWithoutStack: []string{"manual"},
		FargateProfiles:        []string{"fp-a", "fp-b"},
		Addons:                 []string{"vpc-cni"},
		OIDCProviderARN:        "arn:aws:iam::1:oidc-provider/x",
		KeyPairs:               []string{"eksctl-demo-nodegroup-ng-1-aa"},
	}
	want := []string{
		`delete fargate profile "fp-a"`, `delete fargate profile "fp-b"`,
		`delete addon "vpc-cni"`,
		`delete IAM role for serviceaccount "backend-s3"`, `delete access entry stack "eksctl-demo-accessentry-abc"`,
		`delete nodegroup "ng-1"`, `delete nodegroup "manual"`,
		"delete IAM OIDC provider",
		`delete EC2 key pair "eksctl-demo-nodegroup-ng-1-aa"`,
		`delete cluster control plane "demo" [async]`,
	}
	if got := m.DeleteClusterPlan(r, false).Leaves(); !reflect.DeepEqual(got, want) {
		t.Errorf("plan:\n got %q\nwant %q", got, want)
	}
	if got := m.DeleteClusterPlan(&ClusterResources{Name: "x", ClusterExists: true}, true).Describe(); got != `delete cluster control plane "x"` {
		t.Errorf("bare cluster plan = %s", got)
	}
}

func TestDeleteClusterRemovesWhatCreateMade(t *testing.T) {
	f := newFakeAWS()
	var out bytes.Buffer
	m := testManager(f, &out, 3)
	cfg := seedConfig(t)
	cfg.ManagedNodeGroups[0].SSH.PublicKeyName = ""
	cfg.ManagedNodeGroups[0].SSH.PublicKeyPath = writeKey(t)
	cfg.Addons = []*Addon{{Name: "coredns"}}
	cfg.IAM.WithOIDC = boolPtr(true)
	ctx := context.Background()
	if err := m.CreateCluster(ctx, cfg, CreateOptions{}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	f.nodegroups = []string{"myeks-nodegroup"}
	f.calls = nil
	if err := m.DeleteCluster(ctx, "myeks", "us-west-2", true); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	want := []string{
		"DeleteAddon coredns",
		"DeleteStack eksctl-myeks-nodegroup-myeks-nodegroup",
		"DeleteOpenIDConnectProvider arn:aws:iam::1:oidc-provider/127.0.0.1:1/id/ABC",
		"DeleteKeyPair " + f.keyPairsBefore(),
		"DeleteStack eksctl-myeks-cluster",
	}
	if !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls:\n got %q\nwant %q", f.calls, want)
	}
	if len(f.stacks) != 0 || len(f.keyPairs) != 0 || f.oidcARN != "" {
		t.Errorf("left behind: stacks %v keys %v oidc %q", f.stacks, f.keyPairs, f.oidcARN)
	}
	if !strings.Contains(out.String(), "[✔]  all cluster resources were deleted") {
		t.Errorf("log:\n%s", out.String())
	}
}

func TestDeleteClusterNotMadeByEksctl(t *testing.T) {
	f := newFakeAWS()
	f.nodegroups = []string{"ng-a"}
	m := testManager(f, &bytes.Buffer{}, 3)
	if err := m.DeleteCluster(context.Background(), "plain", "us-west-2", true); err != nil {
		t.Fatal(err)
	}
	if want := []string{"DeleteNodegroup ng-a", "DeleteCluster plain"}; !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls = %q", f.calls)
	}
	f.clusterExists = false
	if err := m.DeleteCluster(context.Background(), "gone", "us-west-2", true); err == nil || !strings.Contains(err.Error(), `cluster "gone" not found`) {
		t.Errorf("missing cluster: %v", err)
	}
}

func TestScaleAndGet(t *testing.T) {
	f := newFakeAWS()
	f.nodegroups = []string{"ng-a"}
	m := testManager(f, &bytes.Buffer{}, 3)
	ctx := context.Background()
	if err := m.ScaleNodeGroup(ctx, "demo", "ng-a", aws.Int32(3), nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.ScaleNodeGroup(ctx, "demo", "ng-a", aws.Int32(5), nil, nil); err == nil {
		t.Error("desired above max accepted")
	}
	if want := []string{"UpdateNodegroupConfig ng-a 1/3/3"}; !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls = %q", f.calls)
	}
	l, err := m.GetNodeGroups(ctx, "demo", "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := l.Print(&buf, "table"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !regexp.MustCompile(`^CLUSTER +NODEGROUP +STATUS +CREATED +MIN SIZE +MAX SIZE +DESIRED CAPACITY +INSTANCE TYPE +IMAGE ID +ASG NAME +TYPE$`).MatchString(lines[0]) ||
		!strings.Contains(lines[1], "ng-a") || !strings.Contains(lines[1], "t3.medium") {
		t.Errorf("table:\n%s", buf.String())
	}
	buf.Reset()
	if err := l.Print(&buf, "yaml"); err != nil || !strings.Contains(buf.String(), "NodegroupName: ng-a") {
		t.Errorf("yaml (%v):\n%s", err, buf.String())
	}
	if err := l.Print(&buf, "xml"); err == nil {
		t.Error("xml accepted")
	}
	cl, err := m.GetClusters(ctx, "", "us-west-2")
	if err != nil || len(cl.Rows) != 1 || cl.Rows[0][2] != "False" {
		t.Errorf("clusters = %+v, %v", cl, err)
	}
}

func TestDryRunConfigOfTheSeed(t *testing.T) {
	f := newFakeAWS()
	m := testManager(f, &bytes.Buffer{}, 0)
	cfg, err := parseFlags(t, seedArgs)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Prepare(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	out, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"apiVersion: eksctl.io/v1alpha5\n", "kind: ClusterConfig\n",
		"metadata:\n  name: myeks\n  region: ap-northeast-2\n  version: \"1.37\"\n",
		"      us-west-2a:\n        az: us-west-2a\n        cidr: 172.31.0.0/20\n        id: subnet-1\n",
		"  id: vpc-1\n",
		"  instanceType: t3.medium\n", "  volumeSize: 30\n", "      externalDNS: true\n",
		"  ssh:\n    allow: true\n    publicKeyPath: ~/.ssh/id_rsa.pub\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "cidr: 192.168.0.0/16") {
		t.Errorf("dry run of given subnets has eksctl's VPC CIDR:\n%s", out)
	}
	if len(f.calls) != 1 {
		t.Errorf("a dry run only describes subnets: %q", f.calls)
	}
}
