package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// cfnClusterTemplate is a user's own template: a named cluster role with
// AWS's managed policy, a customer managed policy on it, and a cluster on
// the subnets given, with outputs from the cluster's attributes.
const cfnClusterTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Description: keks e2e cluster
Parameters:
  Subnets:
    Type: List<AWS::EC2::Subnet::Id>
  ClusterName:
    Type: String
    Default: cfn-e2e
  NodeLabel:
    Type: String
    Default: one
    AllowedValues: [one, two]
Resources:
  ClusterRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${ClusterName}-role"
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: [eks.amazonaws.com]}
            Action: ["sts:AssumeRole"]
      ManagedPolicyArns:
        - !Sub "arn:${AWS::Partition}:iam::aws:policy/AmazonEKSClusterPolicy"
  ExtraPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref ClusterRole]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: ["ec2:DescribeSubnets"]
            Resource: "*"
  Cluster:
    Type: AWS::EKS::Cluster
    DependsOn: ExtraPolicy
    Properties:
      Name: !Ref ClusterName
      RoleArn: !GetAtt ClusterRole.Arn
      ResourcesVpcConfig:
        SubnetIds: !Ref Subnets
      AccessConfig:
        AuthenticationMode: API_AND_CONFIG_MAP
      Tags:
        - {Key: owner, Value: e2e}
  NodeRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy
        - arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly
        - arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy
  Nodes:
    Type: AWS::EKS::Nodegroup
    Properties:
      ClusterName: !Ref Cluster
      NodeRole: !GetAtt NodeRole.Arn
      Subnets: !Ref Subnets
      ScalingConfig: {MinSize: 1, MaxSize: 2, DesiredSize: 1}
      InstanceTypes: [t3.medium]
      Labels: {tier: !Ref NodeLabel}
  ViewerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}, Action: sts:AssumeRole}
  Viewers:
    Type: AWS::EKS::AccessEntry
    Properties:
      ClusterName: !Ref Cluster
      PrincipalArn: !GetAtt ViewerRole.Arn
      AccessPolicies:
        - PolicyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
          AccessScope: {Type: cluster}
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: [sts:AssumeRole, sts:TagSession]}
  AppIdentity:
    Type: AWS::EKS::PodIdentityAssociation
    Properties:
      ClusterName: !Ref Cluster
      Namespace: default
      ServiceAccount: app
      RoleArn: !GetAtt AppRole.Arn
Outputs:
  Endpoint:
    Value: !GetAtt Cluster.Endpoint
  ClusterArn:
    Value: !GetAtt Cluster.Arn
    Export:
      Name: !Sub "${AWS::StackName}::ClusterArn"
`

// cfnBrokenTemplate makes a valid role, then a policy IAM refuses.
const cfnBrokenTemplate = `Resources:
  GoodRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
  BadPolicy:
    Type: AWS::IAM::ManagedPolicy
    DependsOn: GoodRole
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Maybe
            Action: ec2:*
            Resource: "*"
`

type cfnStack struct {
	StackID           string `json:"StackId"`
	StackStatus       string
	StackStatusReason string
	Outputs           []struct{ OutputKey, OutputValue, ExportName string }
}

func describeStack(e *harness.Env, name string) cfnStack {
	var out struct{ Stacks []cfnStack }
	e.JSON(&out, "aws", "cloudformation", "describe-stacks", "--stack-name", name)
	return out.Stacks[0]
}

// TestCloudFormation deploys a user's YAML template (IAM role, managed
// policy, EKS cluster) with the AWS CLI, watches its events and resources,
// rolls back a broken stack leaving nothing, and deletes the first stack
// leaving no cluster.
func TestCloudFormation(t *testing.T) {
	e := harness.New(t)
	subnets := e.PrivateSubnets()
	if len(subnets) < 2 {
		t.Fatalf("want the default VPC's private subnets, got %v", subnets)
	}
	dir := t.TempDir()
	tpl := filepath.Join(dir, "cluster.yaml")
	params := filepath.Join(dir, "params.json")
	broken := filepath.Join(dir, "broken.yaml")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(tpl, []byte(cfnClusterTemplate), 0o644))
	must(os.WriteFile(broken, []byte(cfnBrokenTemplate), 0o644))
	p, _ := json.Marshal([]map[string]string{{"ParameterKey": "Subnets", "ParameterValue": strings.Join(subnets, ",")}})
	must(os.WriteFile(params, p, 0o644))

	e.Run("aws", "cloudformation", "validate-template", "--template-body", "file://"+tpl)
	if _, err := e.Try("aws", "cloudformation", "create-stack", "--stack-name", "cfn-e2e", "--template-body", "file://"+tpl, "--parameters", "file://"+params); err == nil ||
		!strings.Contains(err.Error(), "InsufficientCapabilities") || !strings.Contains(err.Error(), "Requires capabilities : [CAPABILITY_NAMED_IAM]") {
		t.Fatalf("create-stack without capabilities: %v", err)
	}
	start := time.Now()
	e.Run("aws", "cloudformation", "create-stack", "--stack-name", "cfn-e2e", "--template-body", "file://"+tpl, "--parameters", "file://"+params,
		"--capabilities", "CAPABILITY_NAMED_IAM", "--tags", "Key=team,Value=e2e")
	// The broken stack rolls back while the cluster is being made.
	e.Run("aws", "cloudformation", "create-stack", "--stack-name", "cfn-broken", "--template-body", "file://"+broken, "--capabilities", "CAPABILITY_IAM")
	if _, err := e.TryFor(10*time.Minute, "aws", "cloudformation", "wait", "stack-create-complete", "--stack-name", "cfn-e2e"); err != nil {
		out, _ := e.Try("aws", "cloudformation", "describe-stack-events", "--stack-name", "cfn-e2e", "--output", "text")
		t.Fatalf("wait stack-create-complete: %v\n%s", err, out)
	}
	t.Logf("stack CREATE_COMPLETE (as seen by the waiter) after %s", time.Since(start).Round(time.Second))
	st := describeStack(e, "cfn-e2e")
	outs := map[string]string{}
	for _, o := range st.Outputs {
		outs[o.OutputKey] = o.OutputValue
	}
	var cluster struct {
		Cluster struct{ Status, Endpoint, Arn string }
	}
	e.JSON(&cluster, "aws", "eks", "describe-cluster", "--name", "cfn-e2e")
	if cluster.Cluster.Status != "ACTIVE" || outs["Endpoint"] != cluster.Cluster.Endpoint || !strings.HasPrefix(outs["Endpoint"], "https://") || outs["ClusterArn"] != cluster.Cluster.Arn {
		t.Fatalf("outputs %v, cluster %+v", outs, cluster.Cluster)
	}
	var events struct {
		StackEvents []struct{ LogicalResourceId, ResourceStatus, ResourceType string }
	}
	e.JSON(&events, "aws", "cloudformation", "describe-stack-events", "--stack-name", "cfn-e2e")
	var seen []string
	for _, ev := range events.StackEvents {
		seen = append(seen, ev.LogicalResourceId+" "+ev.ResourceStatus)
	}
	for _, want := range []string{"cfn-e2e CREATE_IN_PROGRESS", "ClusterRole CREATE_COMPLETE", "ExtraPolicy CREATE_COMPLETE", "Cluster CREATE_IN_PROGRESS", "Cluster CREATE_COMPLETE", "cfn-e2e CREATE_COMPLETE"} {
		if !slices.Contains(seen, want) {
			t.Errorf("no event %q in %v", want, seen)
		}
	}
	var resources struct {
		StackResourceSummaries []struct{ LogicalResourceId, PhysicalResourceId, ResourceType, ResourceStatus string }
	}
	e.JSON(&resources, "aws", "cloudformation", "list-stack-resources", "--stack-name", "cfn-e2e")
	got := map[string]string{}
	for _, r := range resources.StackResourceSummaries {
		got[r.LogicalResourceId] = r.ResourceType + " " + r.PhysicalResourceId + " " + r.ResourceStatus
	}
	if got["Cluster"] != "AWS::EKS::Cluster cfn-e2e CREATE_COMPLETE" || got["ClusterRole"] != "AWS::IAM::Role cfn-e2e-role CREATE_COMPLETE" || len(got) != 9 ||
		!strings.HasPrefix(got["Nodes"], "AWS::EKS::Nodegroup cfn-e2e/cfn-e2e-Nodes-") {
		t.Errorf("list-stack-resources: %v", got)
	}
	ng := strings.Fields(got["Nodes"])[1]
	ngName := ng[strings.Index(ng, "/")+1:]
	var entries struct{ AccessEntries []string }
	e.JSON(&entries, "aws", "eks", "list-access-entries", "--cluster-name", "cfn-e2e")
	if len(entries.AccessEntries) != 3 { // the creator's, the node role's, the viewers'
		t.Errorf("access entries: %v", entries.AccessEntries)
	}
	var assocs struct {
		Associations []struct{ ServiceAccount string }
	}
	e.JSON(&assocs, "aws", "eks", "list-pod-identity-associations", "--cluster-name", "cfn-e2e")
	if len(assocs.Associations) != 1 || assocs.Associations[0].ServiceAccount != "app" {
		t.Errorf("pod identity associations: %+v", assocs)
	}

	// An update of the node group's labels, in place.
	e.Run("aws", "cloudformation", "update-stack", "--stack-name", "cfn-e2e", "--use-previous-template", "--capabilities", "CAPABILITY_NAMED_IAM",
		"--parameters", "ParameterKey=Subnets,UsePreviousValue=true", "ParameterKey=NodeLabel,ParameterValue=two")
	if _, err := e.TryFor(5*time.Minute, "aws", "cloudformation", "wait", "stack-update-complete", "--stack-name", "cfn-e2e"); err != nil {
		out, _ := e.Try("aws", "cloudformation", "describe-stack-events", "--stack-name", "cfn-e2e", "--output", "text")
		t.Fatalf("wait stack-update-complete: %v\n%s", err, out)
	}
	var ngDesc struct {
		Nodegroup struct{ Labels map[string]string }
	}
	e.JSON(&ngDesc, "aws", "eks", "describe-nodegroup", "--cluster-name", "cfn-e2e", "--nodegroup-name", ngName)
	if ngDesc.Nodegroup.Labels["tier"] != "two" {
		t.Errorf("node group labels after the update: %v", ngDesc.Nodegroup.Labels)
	}

	// The broken stack: its good role made, its policy refused, rolled back.
	harness.Eventually(t, 2*time.Minute, "cfn-broken rolled back", func() error {
		if s := describeStack(e, "cfn-broken"); s.StackStatus != "ROLLBACK_COMPLETE" {
			return fmt.Errorf("status %s", s.StackStatus)
		}
		return nil
	})
	e.JSON(&events, "aws", "cloudformation", "describe-stack-events", "--stack-name", "cfn-broken")
	seen = nil
	for _, ev := range events.StackEvents {
		seen = append(seen, ev.LogicalResourceId+" "+ev.ResourceStatus)
	}
	for _, want := range []string{"GoodRole CREATE_COMPLETE", "BadPolicy CREATE_FAILED", "cfn-broken ROLLBACK_IN_PROGRESS", "GoodRole DELETE_COMPLETE", "cfn-broken ROLLBACK_COMPLETE"} {
		if !slices.Contains(seen, want) {
			t.Errorf("broken stack: no event %q in %v", want, seen)
		}
	}
	if roles := e.Run("aws", "iam", "list-roles", "--query", "Roles[].RoleName", "--output", "text"); strings.Contains(roles, "cfn-broken-") {
		t.Errorf("the broken stack left a role: %s", roles)
	}
	e.Run("aws", "cloudformation", "delete-stack", "--stack-name", "cfn-broken")
	e.Run("aws", "cloudformation", "wait", "stack-delete-complete", "--stack-name", "cfn-broken")

	// Delete: the cluster goes before its role, and nothing is left.
	start = time.Now()
	e.Run("aws", "cloudformation", "delete-stack", "--stack-name", "cfn-e2e")
	if _, err := e.TryFor(10*time.Minute, "aws", "cloudformation", "wait", "stack-delete-complete", "--stack-name", "cfn-e2e"); err != nil {
		t.Fatalf("wait stack-delete-complete: %v", err)
	}
	t.Logf("stack DELETE_COMPLETE after %s", time.Since(start).Round(time.Second))
	if out := e.Run("aws", "eks", "list-clusters", "--query", "clusters", "--output", "text"); strings.TrimSpace(out) != "" {
		t.Errorf("clusters left: %s", out)
	}
	if _, err := e.Try("aws", "iam", "get-role", "--role-name", "cfn-e2e-role"); err == nil {
		t.Error("the cluster role is left")
	}
	if out, err := e.Try("aws", "cloudformation", "describe-stacks", "--stack-name", "cfn-e2e"); err == nil || !strings.Contains(err.Error(), "Stack with id cfn-e2e does not exist") {
		t.Errorf("describe-stacks of a deleted stack: %v %s", err, out)
	}
	if d := describeStack(e, st.StackID); d.StackStatus != "DELETE_COMPLETE" {
		t.Errorf("deleted stack by id: %s", d.StackStatus)
	}
	if left := e.Leftovers(); len(left) > 0 {
		t.Errorf("left on the host: %v", left)
	}
}
