package ssmapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ssm"
)

// wantAPIError fails unless err is the AWS error code, with its status.
func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
}

// Karpenter's al2023@latest alias: GetParameter of the public AMI
// parameter, and the check it needs is on AWS's account-less ARN.
func TestPublicAMIParameter(t *testing.T) {
	c, region := testClient(t)
	ctx := context.Background()
	name := "/aws/service/eks/optimized-ami/1.37/amazon-linux-2023/x86_64/standard/recommended/image_id"
	out, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	p := out.Parameter
	if aws.ToString(p.Value) != "ami-keks-1-37-2-20261101" || p.Type != types.ParameterTypeString || aws.ToString(p.DataType) != "text" ||
		p.Version != 1 || p.LastModifiedDate == nil || p.LastModifiedDate.Year() != 2026 {
		t.Fatalf("parameter = %+v", p)
	}
	checks := front.authz.ChecksOf("ssm:GetParameter")
	if want := "arn:aws:ssm:" + region + "::parameter" + name; len(checks) != 1 || checks[0].Resource != want {
		t.Fatalf("checks = %+v, want resource %s", checks, want)
	}
	_, err = c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/aws/service/eks/optimized-ami/1.37/amazon-linux-2023/arm64/standard/recommended/image_id")})
	wantAPIError(t, err, "ParameterNotFound")
	var nf *types.ParameterNotFound
	if !errors.As(err, &nf) {
		t.Fatalf("the SDK does not see a ParameterNotFound: %T", err)
	}

	// The whole tree, as `aws ssm get-parameters-by-path --recursive` pages it.
	var names []string
	pager := awsssm.NewGetParametersByPathPaginator(c, &awsssm.GetParametersByPathInput{Path: aws.String("/aws/service/eks/optimized-ami/"), Recursive: aws.Bool(true)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Parameters {
			names = append(names, aws.ToString(p.Name))
		}
	}
	if len(names) != 16 {
		t.Fatalf("by path: %d parameters: %v", len(names), names)
	}
}

func TestOwnParameters(t *testing.T) {
	c, region := testClient(t)
	ctx := context.Background()
	put, err := c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/app/zones"), Value: aws.String("a,b,c"), Type: types.ParameterTypeStringList,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("infra")}}})
	if err != nil || put.Version != 1 || put.Tier != types.ParameterTierStandard {
		t.Fatalf("put: %+v, %v", put, err)
	}
	if ch := front.authz.ChecksOf("ssm:PutParameter"); len(ch) != 1 || ch[0].Resource != "arn:aws:ssm:"+region+":"+testAccount+":parameter/app/zones" ||
		ch[0].Context["aws:RequestTag/team"][0] != "infra" {
		t.Fatalf("put checks = %+v", ch)
	}
	_, err = c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/app/zones"), Value: aws.String("d")})
	wantAPIError(t, err, "ParameterAlreadyExists")
	var exists *types.ParameterAlreadyExists
	if !errors.As(err, &exists) || !strings.Contains(err.Error(), "set the overwrite option") {
		t.Fatalf("already exists: %v", err)
	}
	if _, err := c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/app/zones"), Value: aws.String("d"), Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/app/zones")})
	if err != nil || aws.ToString(got.Parameter.Value) != "d" || got.Parameter.Version != 2 || got.Parameter.Type != types.ParameterTypeStringList {
		t.Fatalf("get: %+v, %v", got, err)
	}
	many, err := c.GetParameters(ctx, &awsssm.GetParametersInput{Names: []string{"/app/zones:1", "/app/none"}})
	if err != nil || len(many.Parameters) != 1 || aws.ToString(many.Parameters[0].Value) != "a,b,c" || aws.ToString(many.Parameters[0].Selector) != ":1" ||
		len(many.InvalidParameters) != 1 {
		t.Fatalf("get many: %+v, %v", many, err)
	}
	if ch := front.authz.ChecksOf("ssm:GetParameters"); len(ch) != 2 || ch[1].Resource != "arn:aws:ssm:"+region+":"+testAccount+":parameter/app/none" {
		t.Fatalf("get many checks = %+v", ch)
	}
	hist, err := c.GetParameterHistory(ctx, &awsssm.GetParameterHistoryInput{Name: aws.String("/app/zones")})
	if err != nil || len(hist.Parameters) != 2 || aws.ToString(hist.Parameters[1].LastModifiedUser) != "arn:aws:iam::"+testAccount+":user/admin" {
		t.Fatalf("history: %+v, %v", hist, err)
	}
	desc, err := c.DescribeParameters(ctx, &awsssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{
		{Key: aws.String("tag:team"), Values: []string{"infra"}}}})
	if err != nil || len(desc.Parameters) != 1 || aws.ToString(desc.Parameters[0].Name) != "/app/zones" || desc.Parameters[0].Version != 2 {
		t.Fatalf("describe: %+v, %v", desc, err)
	}
	if _, err := c.DeleteParameter(ctx, &awsssm.DeleteParameterInput{Name: aws.String("/app/zones")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteParameter(ctx, &awsssm.DeleteParameterInput{Name: aws.String("/app/zones")})
	wantAPIError(t, err, "ParameterNotFound")
}

func TestValidation(t *testing.T) {
	c, _ := testClient(t)
	ctx := context.Background()
	_, err := c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/aws/mine"), Value: aws.String("v"), Type: types.ParameterTypeString})
	wantAPIError(t, err, "AccessDeniedException")
	_, err = c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("x"), Value: aws.String("v"), Type: "Strang"})
	wantAPIError(t, err, "ValidationException")
	_, err = c.GetParametersByPath(ctx, &awsssm.GetParametersByPathInput{Path: aws.String("/a"), MaxResults: aws.Int32(11)})
	wantAPIError(t, err, "ValidationException")
	_, err = c.GetParametersByPath(ctx, &awsssm.GetParametersByPathInput{Path: aws.String("/a"), NextToken: aws.String("bogus")})
	wantAPIError(t, err, "InvalidNextToken")
	names := make([]string, 11)
	for i := range names {
		names[i] = fmt.Sprint("p", i)
	}
	_, err = c.DeleteParameters(ctx, &awsssm.DeleteParametersInput{Names: names})
	wantAPIError(t, err, "ValidationException")
}

// A body that is not JSON, or not of the request's shape, or an operation
// keks does not serve, is an AWS-shaped 4xx, never a 500 or a panic.
func TestMalformed(t *testing.T) {
	h := &Handler{SSM: &ssm.Service{Store: front.store}}
	for _, tc := range []struct{ target, body, code string }{
		{"AmazonSSM.GetParameter", "{not json", "SerializationException"},
		{"AmazonSSM.GetParameter", `{"Name": 7}`, "SerializationException"},
		{"AmazonSSM.GetParameter", `{}`, "ValidationException"},
		{"AmazonSSM.GetParametersByPath", `{"Path": "/x", "MaxResults": 0}`, "ValidationException"},
		{"AmazonSSM.PutParameter", `{"Name": "n", "Value": "v", "Type": "String", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}`, "ValidationException"},
		{"AmazonSSM.DescribeParameters", `{"Filters": [{"Key": "Name", "Values": ["a"]}], "ParameterFilters": [{"Key": "Name", "Values": ["a"]}]}`, "ValidationException"},
		{"AmazonSSM.SendCommand", `{}`, "UnknownOperationException"},
	} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
		req.Header.Set("X-Amz-Target", tc.target)
		c := &awsproto.Call{RequestID: "r", Region: "us-east-1", Principal: awsproto.Principal{Account: testAccount}, Body: []byte(tc.body)}
		if ch := h.checks(req, c); ch == nil && tc.code != "UnknownOperationException" {
			t.Errorf("%s: no checks", tc.target)
		}
		err := h.handle(httptest.NewRecorder(), req, c)
		e, ok := awserr.AsError(err)
		if !ok || e.Code != tc.code || e.Status >= 500 {
			t.Errorf("%s %s: got %v, want %s", tc.target, tc.body, err, tc.code)
		}
	}
}
