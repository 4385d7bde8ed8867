package eksctl

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"testing"
)

// rendered is a template as CloudFormation receives it.
func rendered(t *testing.T, tpl *Template) map[string]any {
	t.Helper()
	body, err := tpl.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func resources(doc map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for k, v := range doc["Resources"].(map[string]any) {
		out[k] = v.(map[string]any)
	}
	return out
}

func props(r map[string]any) map[string]any { return r["Properties"].(map[string]any) }

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func ownVPCConfig(t *testing.T) *ClusterConfig {
	cfg, err := parseFlags(t, []string{"--name", "demo", "--region", "us-west-2", "--zones", "us-west-2a,us-west-2b,us-west-2c"})
	if err != nil {
		t.Fatal(err)
	}
	SetDefaults(cfg)
	if _, err := SetSubnets(cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestClusterStackWithItsOwnVPC(t *testing.T) {
	doc := rendered(t, BuildClusterStack(ownVPCConfig(t)))
	res := resources(doc)
	want := []string{
		"ClusterSharedNodeSecurityGroup", "ControlPlane", "ControlPlaneSecurityGroup",
		"IngressDefaultClusterToNodeSG", "IngressInterNodeGroupSG", "IngressNodeToDefaultClusterSG",
		"InternetGateway", "NATGateway", "NATIP",
		"NATPrivateSubnetRouteUSWEST2A", "NATPrivateSubnetRouteUSWEST2B", "NATPrivateSubnetRouteUSWEST2C",
		"PolicyCloudWatchMetrics", "PolicyELBPermissions",
		"PrivateRouteTableUSWEST2A", "PrivateRouteTableUSWEST2B", "PrivateRouteTableUSWEST2C",
		"PublicRouteTable", "PublicSubnetRoute",
		"RouteTableAssociationPrivateUSWEST2A", "RouteTableAssociationPrivateUSWEST2B", "RouteTableAssociationPrivateUSWEST2C",
		"RouteTableAssociationPublicUSWEST2A", "RouteTableAssociationPublicUSWEST2B", "RouteTableAssociationPublicUSWEST2C",
		"ServiceRole",
		"SubnetPrivateUSWEST2A", "SubnetPrivateUSWEST2B", "SubnetPrivateUSWEST2C",
		"SubnetPublicUSWEST2A", "SubnetPublicUSWEST2B", "SubnetPublicUSWEST2C",
		"VPC", "VPCGatewayAttachment",
	}
	if got := keysOf(res); !reflect.DeepEqual(got, want) {
		t.Errorf("resources:\n got %v\nwant %v", got, want)
	}
	types := map[string]string{
		"VPC": "AWS::EC2::VPC", "InternetGateway": "AWS::EC2::InternetGateway", "VPCGatewayAttachment": "AWS::EC2::VPCGatewayAttachment",
		"PublicRouteTable": "AWS::EC2::RouteTable", "PublicSubnetRoute": "AWS::EC2::Route", "NATIP": "AWS::EC2::EIP",
		"NATGateway": "AWS::EC2::NatGateway", "SubnetPublicUSWEST2A": "AWS::EC2::Subnet",
		"RouteTableAssociationPublicUSWEST2A": "AWS::EC2::SubnetRouteTableAssociation",
		"ControlPlaneSecurityGroup":           "AWS::EC2::SecurityGroup", "IngressInterNodeGroupSG": "AWS::EC2::SecurityGroupIngress",
		"ServiceRole": "AWS::IAM::Role", "PolicyELBPermissions": "AWS::IAM::Policy", "ControlPlane": "AWS::EKS::Cluster",
	}
	for id, typ := range types {
		if res[id]["Type"] != typ {
			t.Errorf("%s: type %v, want %s", id, res[id]["Type"], typ)
		}
	}
	if got := jsonOf(props(res["VPC"])); got != `{"CidrBlock":"192.168.0.0/16","EnableDnsHostnames":true,"EnableDnsSupport":true,"Tags":[{"Key":"Name","Value":{"Fn::Sub":"${AWS::StackName}/VPC"}}]}` {
		t.Errorf("VPC = %s", got)
	}
	if got := jsonOf(res["PublicSubnetRoute"]["DependsOn"]); got != `["VPCGatewayAttachment"]` {
		t.Errorf("PublicSubnetRoute DependsOn = %s", got)
	}
	if got := jsonOf(res["NATIP"]["DependsOn"]); got != `["VPCGatewayAttachment"]` {
		t.Errorf("NATIP DependsOn = %s", got)
	}
	if got := jsonOf(props(res["NATGateway"])["AllocationId"]); got != `{"Fn::GetAtt":["NATIP","AllocationId"]}` {
		t.Errorf("NAT allocation = %s", got)
	}
	if got := jsonOf(props(res["NATGateway"])["SubnetId"]); got != `{"Ref":"SubnetPublicUSWEST2A"}` {
		t.Errorf("NAT subnet = %s", got)
	}
	pub := props(res["SubnetPublicUSWEST2B"])
	if pub["CidrBlock"] != "192.168.32.0/19" || pub["MapPublicIpOnLaunch"] != true || pub["AvailabilityZone"] != "us-west-2b" ||
		jsonOf(pub["Tags"].([]any)[0]) != `{"Key":"kubernetes.io/role/elb","Value":"1"}` {
		t.Errorf("public subnet = %s", jsonOf(pub))
	}
	priv := props(res["SubnetPrivateUSWEST2C"])
	if priv["CidrBlock"] != "192.168.160.0/19" || jsonOf(priv["Tags"].([]any)[0]) != `{"Key":"kubernetes.io/role/internal-elb","Value":"1"}` {
		t.Errorf("private subnet = %s", jsonOf(priv))
	}
	if got := jsonOf(props(res["NATPrivateSubnetRouteUSWEST2A"])); got != `{"DestinationCidrBlock":"0.0.0.0/0","NatGatewayId":{"Ref":"NATGateway"},"RouteTableId":{"Ref":"PrivateRouteTableUSWEST2A"}}` {
		t.Errorf("NAT route = %s", got)
	}
	if got := jsonOf(props(res["IngressDefaultClusterToNodeSG"])); got != `{"Description":"Allow managed and unmanaged nodes to communicate with each other (all ports)","FromPort":0,"GroupId":{"Ref":"ClusterSharedNodeSecurityGroup"},"IpProtocol":"-1","SourceSecurityGroupId":{"Fn::GetAtt":["ControlPlane","ClusterSecurityGroupId"]},"ToPort":65535}` {
		t.Errorf("IngressDefaultClusterToNodeSG = %s", got)
	}
	if got := jsonOf(props(res["IngressNodeToDefaultClusterSG"])["GroupId"]); got != `{"Fn::GetAtt":["ControlPlane","ClusterSecurityGroupId"]}` {
		t.Errorf("IngressNodeToDefaultClusterSG group = %s", got)
	}
	role := props(res["ServiceRole"])
	if got := jsonOf(role["ManagedPolicyArns"]); got != `["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy","arn:aws:iam::aws:policy/AmazonEKSVPCResourceController"]` {
		t.Errorf("service role policies = %s", got)
	}
	if got := jsonOf(role["AssumeRolePolicyDocument"]); got != `{"Statement":[{"Action":["sts:AssumeRole","sts:TagSession"],"Effect":"Allow","Principal":{"Service":["eks.amazonaws.com"]}}],"Version":"2012-10-17"}` {
		t.Errorf("service role trust = %s", got)
	}
	if got := jsonOf(props(res["PolicyCloudWatchMetrics"])); got != `{"PolicyDocument":{"Statement":[{"Action":["cloudwatch:PutMetricData"],"Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"},"PolicyName":{"Fn::Sub":"${AWS::StackName}-PolicyCloudWatchMetrics"},"Roles":[{"Ref":"ServiceRole"}]}` {
		t.Errorf("PolicyCloudWatchMetrics = %s", got)
	}
	cp := props(res["ControlPlane"])
	if cp["Name"] != "demo" || cp["Version"] != "1.37" || jsonOf(cp["RoleArn"]) != `{"Fn::GetAtt":["ServiceRole","Arn"]}` {
		t.Errorf("control plane = %s", jsonOf(cp))
	}
	vpcCfg := cp["ResourcesVpcConfig"].(map[string]any)
	if len(vpcCfg["SubnetIds"].([]any)) != 6 || jsonOf(vpcCfg["SecurityGroupIds"]) != `[{"Ref":"ControlPlaneSecurityGroup"}]` ||
		vpcCfg["EndpointPublicAccess"] != true || vpcCfg["EndpointPrivateAccess"] != false {
		t.Errorf("ResourcesVpcConfig = %s", jsonOf(vpcCfg))
	}
	if got := jsonOf(cp["AccessConfig"]); got != `{"AuthenticationMode":"API_AND_CONFIG_MAP","BootstrapClusterCreatorAdminPermissions":true}` {
		t.Errorf("AccessConfig = %s", got)
	}
	if got := jsonOf(cp["KubernetesNetworkConfig"]); got != `{"IpFamily":"ipv4"}` {
		t.Errorf("KubernetesNetworkConfig = %s", got)
	}

	outputs := doc["Outputs"].(map[string]any)
	exported := []string{"ARN", "ClusterSecurityGroupId", "Endpoint", "SecurityGroup", "ServiceRoleARN", "SharedNodeSecurityGroup", "SubnetsPrivate", "SubnetsPublic", "VPC"}
	for _, name := range exported {
		o, ok := outputs[name].(map[string]any)
		if !ok {
			t.Errorf("output %s missing", name)
			continue
		}
		if got := jsonOf(o["Export"]); got != `{"Name":{"Fn::Sub":"${AWS::StackName}::`+name+`"}}` {
			t.Errorf("output %s export = %s", name, got)
		}
	}
	for _, name := range []string{"CertificateAuthorityData", "ClusterStackName", "FeatureNATMode"} {
		if o, ok := outputs[name].(map[string]any); !ok || o["Export"] != nil {
			t.Errorf("output %s: %v", name, outputs[name])
		}
	}
	if got := jsonOf(outputs["SubnetsPublic"].(map[string]any)["Value"]); got != `{"Fn::Join":[",",[{"Ref":"SubnetPublicUSWEST2A"},{"Ref":"SubnetPublicUSWEST2B"},{"Ref":"SubnetPublicUSWEST2C"}]]}` {
		t.Errorf("SubnetsPublic = %s", got)
	}
	if outputs["FeatureNATMode"].(map[string]any)["Value"] != "Single" {
		t.Errorf("FeatureNATMode = %v", outputs["FeatureNATMode"])
	}
}

func seedConfig(t *testing.T) *ClusterConfig {
	cfg, err := parseFlags(t, seedArgs)
	if err != nil {
		t.Fatal(err)
	}
	SetDefaults(cfg)
	// What DescribeSubnets answered for the seed's two public subnets.
	cfg.VPC.ID = "vpc-0123"
	cfg.VPC.Subnets.Public = map[string]Network{
		"ap-northeast-2a": {ID: "subnet-1", AZ: "ap-northeast-2a", CIDR: "192.168.1.0/24"},
		"ap-northeast-2c": {ID: "subnet-2", AZ: "ap-northeast-2c", CIDR: "192.168.2.0/24"},
	}
	cfg.ManagedNodeGroups[0].SSH.PublicKeyName = "eksctl-myeks-nodegroup-myeks-nodegroup-aa:bb"
	return cfg
}

func TestClusterStackOnGivenSubnets(t *testing.T) {
	doc := rendered(t, BuildClusterStack(seedConfig(t)))
	res := resources(doc)
	for _, id := range []string{"VPC", "InternetGateway", "NATGateway", "NATIP", "PublicRouteTable"} {
		if _, ok := res[id]; ok {
			t.Errorf("%s made although subnets were given", id)
		}
	}
	if got := keysOf(res); !reflect.DeepEqual(got, []string{"ClusterSharedNodeSecurityGroup", "ControlPlane", "ControlPlaneSecurityGroup",
		"IngressDefaultClusterToNodeSG", "IngressInterNodeGroupSG", "IngressNodeToDefaultClusterSG",
		"PolicyCloudWatchMetrics", "PolicyELBPermissions", "ServiceRole"}) {
		t.Errorf("resources = %v", got)
	}
	if got := props(res["ControlPlaneSecurityGroup"])["VpcId"]; got != "vpc-0123" {
		t.Errorf("security group VPC = %v", got)
	}
	if got := jsonOf(props(res["ControlPlane"])["ResourcesVpcConfig"].(map[string]any)["SubnetIds"]); got != `["subnet-1","subnet-2"]` {
		t.Errorf("subnets = %s", got)
	}
	outputs := doc["Outputs"].(map[string]any)
	if got := jsonOf(outputs["VPC"]); got != `{"Export":{"Name":{"Fn::Sub":"${AWS::StackName}::VPC"}},"Value":"vpc-0123"}` {
		t.Errorf("VPC output = %s", got)
	}
	if _, ok := outputs["SubnetsPrivate"]; ok {
		t.Error("SubnetsPrivate exported without private subnets")
	}
	if got := jsonOf(outputs["FeatureNATMode"]); got != `{"Value":"Single"}` {
		t.Errorf("FeatureNATMode = %s, want eksctl's unexported output", got)
	}
}

func TestSeedNodeGroupStack(t *testing.T) {
	cfg := seedConfig(t)
	tpl, err := BuildManagedNodeGroupStack(cfg, cfg.ManagedNodeGroups[0])
	if err != nil {
		t.Fatal(err)
	}
	doc := rendered(t, tpl)
	res := resources(doc)
	if got := keysOf(res); !reflect.DeepEqual(got, []string{"ManagedNodeGroup", "NodeInstanceRole", "PolicyExternalDNSChangeSet", "PolicyExternalDNSHostedZones", "SSH"}) {
		t.Errorf("resources = %v", got)
	}
	role := props(res["NodeInstanceRole"])
	if got := jsonOf(role["ManagedPolicyArns"]); got != `["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly","arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy","arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy","arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]` {
		t.Errorf("node role policies = %s", got)
	}
	if got := jsonOf(role["AssumeRolePolicyDocument"]); got != `{"Statement":[{"Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]}}],"Version":"2012-10-17"}` {
		t.Errorf("node role trust = %s", got)
	}
	if got := jsonOf(props(res["PolicyExternalDNSChangeSet"])); got != `{"PolicyDocument":{"Statement":[{"Action":["route53:ChangeResourceRecordSets"],"Effect":"Allow","Resource":"arn:aws:route53:::hostedzone/*"}],"Version":"2012-10-17"},"PolicyName":{"Fn::Sub":"${AWS::StackName}-PolicyExternalDNSChangeSet"},"Roles":[{"Ref":"NodeInstanceRole"}]}` {
		t.Errorf("PolicyExternalDNSChangeSet = %s", got)
	}
	if got := jsonOf(props(res["PolicyExternalDNSHostedZones"])["PolicyDocument"]); got != `{"Statement":[{"Action":["route53:ListHostedZones","route53:ListResourceRecordSets","route53:ListTagsForResource"],"Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}` {
		t.Errorf("PolicyExternalDNSHostedZones = %s", got)
	}
	ssh := props(res["SSH"])
	if jsonOf(ssh["GroupName"]) != `{"Fn::Sub":"${AWS::StackName}-remoteAccess"}` || ssh["GroupDescription"] != "Allow SSH access" ||
		jsonOf(ssh["VpcId"]) != `{"Fn::ImportValue":"eksctl-myeks-cluster::VPC"}` ||
		jsonOf(ssh["SecurityGroupIngress"]) != `[{"CidrIp":"0.0.0.0/0","FromPort":22,"IpProtocol":"tcp","ToPort":22}]` {
		t.Errorf("SSH = %s", jsonOf(ssh))
	}
	ng := props(res["ManagedNodeGroup"])
	if res["ManagedNodeGroup"]["Type"] != "AWS::EKS::Nodegroup" || ng["ClusterName"] != "myeks" || ng["NodegroupName"] != "myeks-nodegroup" ||
		ng["AmiType"] != "AL2023_x86_64_STANDARD" || ng["DiskSize"] != float64(30) {
		t.Errorf("nodegroup = %s", jsonOf(ng))
	}
	for field, want := range map[string]string{
		"ScalingConfig": `{"DesiredSize":2,"MaxSize":2,"MinSize":2}`,
		"InstanceTypes": `["t3.medium"]`,
		"NodeRole":      `{"Fn::GetAtt":["NodeInstanceRole","Arn"]}`,
		"Subnets":       `{"Fn::Split":[",",{"Fn::ImportValue":"eksctl-myeks-cluster::SubnetsPublic"}]}`,
		"Labels":        `{"alpha.eksctl.io/cluster-name":"myeks","alpha.eksctl.io/nodegroup-name":"myeks-nodegroup"}`,
		"Tags":          `{"alpha.eksctl.io/nodegroup-name":"myeks-nodegroup","alpha.eksctl.io/nodegroup-type":"managed"}`,
		"RemoteAccess":  `{"Ec2SshKey":"eksctl-myeks-nodegroup-myeks-nodegroup-aa:bb"}`,
	} {
		if got := jsonOf(ng[field]); got != want {
			t.Errorf("nodegroup %s = %s, want %s", field, got, want)
		}
	}
	if doc["Description"] != "EKS Managed Nodes (SSH access: true) [created and managed by eksctl]" {
		t.Errorf("description = %v", doc["Description"])
	}
}

func TestNodeGroupStackFromFile(t *testing.T) {
	cfg, err := Parse([]byte(fullConfig))
	if err != nil {
		t.Fatal(err)
	}
	SetDefaults(cfg)
	if _, err := SetSubnets(&ClusterConfig{}); err == nil {
		t.Error("SetSubnets without a CIDR accepted")
	}
	cfg.AvailabilityZones = []string{"us-west-2a", "us-west-2b"}
	if _, err := SetSubnets(cfg); err != nil {
		t.Fatal(err)
	}
	ng := cfg.ManagedNodeGroups[0]
	if _, err := BuildManagedNodeGroupStack(cfg, ng); err == nil {
		t.Error("zone-bound node group built before the subnet ids are known")
	}
	cfg.VPC.Subnets.Private["us-west-2a"] = Network{ID: "subnet-a", AZ: "us-west-2a", CIDR: "10.10.64.0/19"}
	tpl, err := BuildManagedNodeGroupStack(cfg, ng)
	if err != nil {
		t.Fatal(err)
	}
	res := resources(rendered(t, tpl))
	if got := keysOf(res); !reflect.DeepEqual(got, []string{"ManagedNodeGroup", "NodeInstanceRole", "PolicyAWSLoadBalancerController", "PolicyAutoScaling", "PolicyEBS", "SSH"}) {
		t.Errorf("resources = %v", got)
	}
	if got := jsonOf(props(res["NodeInstanceRole"])["ManagedPolicyArns"]); got != `["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"]` {
		t.Errorf("attachPolicyARNs must replace the defaults: %s", got)
	}
	p := props(res["ManagedNodeGroup"])
	for field, want := range map[string]string{
		"Subnets":       `["subnet-a"]`,
		"Taints":        `[{"Effect":"NO_SCHEDULE","Key":"dedicated","Value":"x"}]`,
		"ScalingConfig": `{"DesiredSize":3,"MaxSize":4,"MinSize":1}`,
		"RemoteAccess":  `{"Ec2SshKey":"mykey"}`,
		"Tags":          `{"alpha.eksctl.io/nodegroup-name":"ng-1","alpha.eksctl.io/nodegroup-type":"managed","team":"a"}`,
	} {
		if got := jsonOf(p[field]); got != want {
			t.Errorf("%s = %s, want %s", field, got, want)
		}
	}
	if got := jsonOf(props(res["SSH"])["SecurityGroupIngress"]); got != `[{"CidrIp":"10.10.0.0/16","FromPort":22,"IpProtocol":"tcp","ToPort":22}]` {
		t.Errorf("private networking SSH must open to the VPC only: %s", got)
	}

	doc := rendered(t, BuildClusterStack(cfg))
	cres := resources(doc)
	for _, id := range []string{"FargatePodExecutionRole", "NATGatewayUSWEST2A", "NATIPUSWEST2B"} {
		if _, ok := cres[id]; !ok {
			t.Errorf("%s missing (fargate profiles, HighlyAvailable NAT)", id)
		}
	}
	cp := props(cres["ControlPlane"])
	if got := jsonOf(cp["EncryptionConfig"]); got != `[{"Provider":{"KeyArn":"arn:aws:kms:us-west-2:111122223333:key/abc"},"Resources":["secrets"]}]` {
		t.Errorf("EncryptionConfig = %s", got)
	}
	if got := jsonOf(cp["AccessConfig"]); got != `{"AuthenticationMode":"API","BootstrapClusterCreatorAdminPermissions":false}` {
		t.Errorf("AccessConfig = %s", got)
	}
	if _, ok := doc["Outputs"].(map[string]any)["FargatePodExecutionRoleARN"]; !ok {
		t.Error("FargatePodExecutionRoleARN output missing")
	}
}

func TestServiceAccountStack(t *testing.T) {
	cfg, err := Parse([]byte(fullConfig))
	if err != nil {
		t.Fatal(err)
	}
	SetDefaults(cfg)
	oidc := OIDCProvider{ARN: "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC", IssuerHostPath: "oidc.eks.us-west-2.amazonaws.com/id/ABC"}
	doc := rendered(t, BuildServiceAccountStack(cfg.IAM.ServiceAccounts[0], oidc))
	res := resources(doc)
	role := props(res["Role1"])
	want := `{"Statement":[{"Action":["sts:AssumeRoleWithWebIdentity"],"Condition":{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/ABC:aud":"sts.amazonaws.com","oidc.eks.us-west-2.amazonaws.com/id/ABC:sub":"system:serviceaccount:backend:s3-reader"}},"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC"}}],"Version":"2012-10-17"}`
	if got := jsonOf(role["AssumeRolePolicyDocument"]); got != want {
		t.Errorf("trust = %s", got)
	}
	if got := jsonOf(role["ManagedPolicyArns"]); got != `["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]` {
		t.Errorf("policies = %s", got)
	}
	if got := jsonOf(doc["Outputs"]); got != `{"Role1":{"Value":{"Fn::GetAtt":["Role1","Arn"]}}}` {
		t.Errorf("outputs = %s", got)
	}
	res = resources(rendered(t, BuildServiceAccountStack(cfg.IAM.ServiceAccounts[1], oidc)))
	if !slices.Equal(keysOf(res), []string{"PolicyExternalDNSChangeSet", "PolicyExternalDNSHostedZones", "Role1"}) {
		t.Errorf("externalDNS resources = %v", keysOf(res))
	}
	if got := ServiceAccountStackName("demo", "backend", "s3-reader"); got != "eksctl-demo-addon-iamserviceaccount-backend-s3-reader" {
		t.Errorf("stack name %q", got)
	}
}
