package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	kekscfn "github.com/keksdev/keks/internal/cloudformation"
	"github.com/keksdev/keks/internal/cloudformation/resources"
)

const cfnRoleTemplate = `
Parameters:
  Suffix:
    Type: String
    Default: one
  Secret:
    Type: String
    NoEcho: true
    Default: hush
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: eks.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AmazonEKSClusterPolicy]
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref Role]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: ec2:Describe*
            Resource: "*"
Outputs:
  RoleArn:
    Value: !GetAtt Role.Arn
    Export: {Name: !Sub "${AWS::StackName}-${Suffix}-role"}
  PolicyArn:
    Value: !Ref Policy
`

// waitStack polls a stack until its status leaves *_IN_PROGRESS.
func waitStack(t *testing.T, c *cloudformation.Client, id string) *cfntypes.Stack {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		out, err := c.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		st := out.Stacks[0]
		if !strings.HasSuffix(string(st.StackStatus), "_IN_PROGRESS") {
			return &st
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("stack %s still in progress after 60s", id)
	return nil
}

func cfnError(err error) (string, string) {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode(), api.ErrorMessage()
	}
	return "", ""
}

// runCloudFormation runs CloudFormation's engine over the test server's
// store for the test (keks runs none with NoReconcile), as keks wires it.
func runCloudFormation(t *testing.T) {
	m := testServer.models
	svc := &kekscfn.Service{Store: m.IAM.Store, Types: resources.All()}
	clients := &kekscfn.ClientFactory{Endpoint: m.Endpoint, HTTP: testServer.http, Sessions: m.IAM}
	engine := kekscfn.NewEngine(svc, clients.For, slog.New(slog.NewTextHandler(io.Discard, nil)))
	engine.Busy, engine.Idle = 200*time.Millisecond, 200*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = engine.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestCloudFormationStacksOfIAMResources(t *testing.T) {
	ctx := context.Background()
	runCloudFormation(t)
	c := cloudformation.NewFromConfig(awsConfig())
	admin := iam.NewFromConfig(awsConfig())

	_, err := c.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("roles"), TemplateBody: aws.String(cfnRoleTemplate)})
	if code, msg := cfnError(err); code != "InsufficientCapabilitiesException" || msg != "Requires capabilities : [CAPABILITY_IAM]" {
		t.Fatalf("no capabilities: %v", err)
	}
	created, err := c.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("roles"), TemplateBody: aws.String(cfnRoleTemplate),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}, Tags: []cfntypes.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("roles"), TemplateBody: aws.String(cfnRoleTemplate),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}}); func() bool { code, _ := cfnError(err); return code != "AlreadyExistsException" }() {
		t.Fatalf("same name again: %v", err)
	}
	st := waitStack(t, c, aws.ToString(created.StackId))
	if st.StackStatus != cfntypes.StackStatusCreateComplete {
		t.Fatalf("stack %s: %s", st.StackStatus, aws.ToString(st.StackStatusReason))
	}
	outs := map[string]string{}
	for _, o := range st.Outputs {
		outs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	roleName := outs["RoleArn"][strings.LastIndex(outs["RoleArn"], "/")+1:]
	if !strings.HasPrefix(roleName, "roles-Role-") || len(roleName) != len("roles-Role-")+13 {
		t.Errorf("generated role name %q", roleName)
	}
	attached, err := admin.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(roleName)})
	if err != nil || len(attached.AttachedPolicies) != 2 {
		t.Fatalf("role's policies: %v %v", err, attached)
	}
	for _, p := range st.Parameters {
		if aws.ToString(p.ParameterKey) == "Secret" && aws.ToString(p.ParameterValue) != "****" {
			t.Errorf("NoEcho parameter shown: %s", aws.ToString(p.ParameterValue))
		}
	}
	res, err := c.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String("roles")})
	if err != nil || len(res.StackResourceSummaries) != 2 {
		t.Fatalf("resources: %v %+v", err, res)
	}
	evs, err := c.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String("roles")})
	if err != nil || evs.StackEvents[0].ResourceStatus != cfntypes.ResourceStatusCreateComplete || aws.ToString(evs.StackEvents[0].LogicalResourceId) != "roles" {
		t.Fatalf("events: %v", err)
	}
	exps, err := c.ListExports(ctx, &cloudformation.ListExportsInput{})
	if err != nil || len(exps.Exports) != 1 || aws.ToString(exps.Exports[0].Name) != "roles-one-role" {
		t.Fatalf("exports: %v %+v", err, exps)
	}
	tpl, err := c.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String("roles")})
	if err != nil || aws.ToString(tpl.TemplateBody) != cfnRoleTemplate {
		t.Fatalf("template: %v", err)
	}
	val, err := c.ValidateTemplate(ctx, &cloudformation.ValidateTemplateInput{TemplateBody: aws.String(cfnRoleTemplate)})
	if err != nil || len(val.Parameters) != 2 || !slices.Contains(val.Capabilities, cfntypes.CapabilityCapabilityIam) {
		t.Fatalf("validate: %v %+v", err, val)
	}
	if _, err := c.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String("roles"), UsePreviousTemplate: aws.Bool(true),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}}); func() bool { _, m := cfnError(err); return m != "No updates are to be performed." }() {
		t.Fatalf("update with no change: %v", err)
	}
	// An update that changes the policy's document in place.
	if _, err := c.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String("roles"), TemplateBody: aws.String(strings.Replace(cfnRoleTemplate, "ec2:Describe*", "eks:Describe*", 1)),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}}); err != nil {
		t.Fatal(err)
	}
	if st := waitStack(t, c, aws.ToString(created.StackId)); st.StackStatus != cfntypes.StackStatusUpdateComplete {
		t.Fatalf("update: %s %s", st.StackStatus, aws.ToString(st.StackStatusReason))
	}

	// A stack whose second resource fails rolls back the first.
	broken := strings.Replace(cfnRoleTemplate, "Action: ec2:Describe*", "Action: 42\n            Effect2: x", 1)
	b, err := c.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("broken"), TemplateBody: aws.String(broken),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}})
	if err != nil {
		t.Fatal(err)
	}
	if st := waitStack(t, c, aws.ToString(b.StackId)); st.StackStatus != cfntypes.StackStatusRollbackComplete {
		t.Fatalf("broken stack: %s %s", st.StackStatus, aws.ToString(st.StackStatusReason))
	}
	bevs, err := c.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: b.StackId})
	if err != nil {
		t.Fatalf("events of the broken stack: %v", err)
	}
	var failed string
	for _, ev := range bevs.StackEvents {
		if ev.ResourceStatus == cfntypes.ResourceStatusCreateFailed {
			failed = aws.ToString(ev.LogicalResourceId) + ": " + aws.ToString(ev.ResourceStatusReason)
		}
	}
	if !strings.HasPrefix(failed, "Policy: ") {
		t.Errorf("failure event %q", failed)
	}
	roles, err := admin.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatalf("list roles after the rollback: %v", err)
	}
	for _, r := range roles.Roles {
		if strings.HasPrefix(aws.ToString(r.RoleName), "broken-") {
			t.Errorf("role %s left after rollback", aws.ToString(r.RoleName))
		}
	}

	// A caller that may use CloudFormation but not IAM makes nothing.
	limited := newUser(t, "cfn-only", nil, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudformation:*","Resource":"*"}]}`)
	lc := cloudformation.NewFromConfig(limited.cfg)
	l, err := lc.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("limited"), TemplateBody: aws.String(cfnRoleTemplate),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}})
	if err != nil {
		t.Fatal(err)
	}
	if st := waitStack(t, lc, aws.ToString(l.StackId)); st.StackStatus != cfntypes.StackStatusRollbackComplete {
		t.Fatalf("a caller without IAM rights: %s", st.StackStatus)
	}
	levs, _ := lc.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: l.StackId})
	denied := false
	for _, ev := range levs.StackEvents {
		denied = denied || strings.Contains(aws.ToString(ev.ResourceStatusReason), "is not authorized to perform: iam:CreateRole")
	}
	if !denied {
		t.Error("no event says iam:CreateRole was denied to the caller")
	}

	// Delete; then the stack is found by id only.
	if _, err := c.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("roles")}); err != nil {
		t.Fatal(err)
	}
	if st := waitStack(t, c, aws.ToString(created.StackId)); st.StackStatus != cfntypes.StackStatusDeleteComplete {
		t.Fatalf("delete: %s %s", st.StackStatus, aws.ToString(st.StackStatusReason))
	}
	if _, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)}); err == nil {
		t.Error("role left after delete")
	}
	_, err = c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("roles")})
	if code, msg := cfnError(err); code != "ValidationError" || msg != "Stack with id roles does not exist" {
		t.Fatalf("deleted stack by name: %v", err)
	}
	list, err := c.ListStacks(ctx, &cloudformation.ListStacksInput{StackStatusFilter: []cfntypes.StackStatus{cfntypes.StackStatusDeleteComplete}})
	if err != nil || len(list.StackSummaries) != 1 {
		t.Fatalf("list deleted: %v %+v", err, list)
	}
}
