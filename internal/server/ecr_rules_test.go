package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// TestECRPagingAndErrors pages DescribeRepositories and checks ECR's
// errors: AWS JSON 1.1 bodies with __type, for the rules the model has.
func TestECRPagingAndErrors(t *testing.T) {
	ctx := context.Background()
	c := ecr.NewFromConfig(rulesConfig())
	for i := range 5 {
		if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(fmt.Sprintf("paging/repo-%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	total, pages := 0, 0
	p := ecr.NewDescribeRepositoriesPaginator(c, &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Repositories) > 2 {
			t.Fatalf("a page of %d with maxResults 2", len(out.Repositories))
		}
		total, pages = total+len(out.Repositories), pages+1
	}
	if total != 5 || pages != 3 {
		t.Fatalf("%d repositories in %d pages, want 5 in 3", total, pages)
	}
	acct := testServer.models.Bootstrap.AccountID
	for _, tc := range []struct{ op, body, code, msg string }{
		{"DescribeRepositories", `{"repositoryNames":["paging/repo-0"],"maxResults":2}`, "InvalidParameterException", "maxResults"},
		{"DescribeRepositories", `{"maxResults":1001}`, "InvalidParameterException", "maxResults"},
		{"DescribeRepositories", `{"nextToken":"garbage"}`, "InvalidParameterException", "nextToken"},
		{"DescribeRepositories", `{"repositoryNames":[]}`, "InvalidParameterException", "repositoryNames"},
		{"DescribeRepositories", `{"repositoryNames":["Bad Name"]}`, "InvalidParameterException", "repositoryName"},
		{"DescribeRepositories", `{"repositoryNames":["paging/missing"]}`, "RepositoryNotFoundException", "does not exist"},
		{"DescribeRepositories", `{"registryId":"000000000000"}`, "InvalidParameterException", acct},
		{"CreateRepository", `{"repositoryName":"tagged","tags":[{"Key":"aws:x","Value":"y"}]}`, "InvalidTagParameterException", "aws:"},
		{"CreateRepository", `{"repositoryName":"a--b__c"}`, "", ""},
		{"CreateRepository", `{"repositoryName":"a___b"}`, "InvalidParameterException", "repositoryName"},
		{"DeleteRepository", `{"repositoryName":"paging/missing"}`, "RepositoryNotFoundException", "does not exist"},
		{"GetAuthorizationToken", `{"registryIds":[]}`, "InvalidParameterException", "registryIds"},
		{"Nope", `{}`, "UnknownOperationException", "Nope"},
	} {
		call := ecrCall(strings.NewReplacer(), 255, []byte(tc.body), modeSigned)
		call.region, call.header["X-Amz-Target"] = rulesRegion, []string{ecrTarget + tc.op}
		rec := call.check(t)
		if tc.code == "" {
			if rec.Code != 200 {
				t.Errorf("%s %s: %d %s", tc.op, tc.body, rec.Code, rec.Body)
			}
			continue
		}
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Type != tc.code || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s %s: %d %s, want %s containing %q", tc.op, tc.body, rec.Code, rec.Body, tc.code, tc.msg)
		}
	}
	// The SDK reads the code from __type as from the header.
	_, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"paging/missing"}})
	wantError(t, "SDK error code", err, "RepositoryNotFoundException", "does not exist")
}
