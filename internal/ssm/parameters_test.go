package ssm

import (
	"context"
	"fmt"
	"testing"
)

// The public EKS AMI parameters name keks's node image of each minor.
func TestPublicAMIParameters(t *testing.T) {
	s, sc := newTestService(t)
	ctx := context.Background()
	p, err := s.Get(ctx, sc, "/aws/service/eks/optimized-ami/1.37/amazon-linux-2023/x86_64/standard/recommended/image_id")
	if err != nil {
		t.Fatal(err)
	}
	if p.Value != "ami-keks-1-37-2-20261101" || p.Type != TypeString || p.DataType != DataTypeText ||
		p.ARN != "arn:aws:ssm:us-east-1::parameter/aws/service/eks/optimized-ami/1.37/amazon-linux-2023/x86_64/standard/recommended/image_id" {
		t.Fatalf("image_id = %+v", p)
	}
	rel, err := s.Get(ctx, sc, "/aws/service/eks/optimized-ami/1.34/amazon-linux-2/recommended/release_version")
	if err != nil || rel.Value != "1.34.4-20261101" {
		t.Fatalf("AL2 release = %+v, %v", rel, err)
	}
	_, err = s.Get(ctx, sc, "/aws/service/eks/optimized-ami/1.20/amazon-linux-2/recommended/image_id")
	wantCode(t, err, CodeParameterNotFound)

	all, next, err := s.ByPath(ctx, sc, ByPathInput{Path: "/aws/service/eks/optimized-ami", Recursive: true})
	if err != nil || len(all) != 10 || next == "" {
		t.Fatalf("first page: %d, %q, %v", len(all), next, err)
	}
	seen := len(all)
	for next != "" {
		all, next, err = s.ByPath(ctx, sc, ByPathInput{Path: "/aws/service/eks/optimized-ami", Recursive: true, Page: Page{Token: &next}})
		if err != nil {
			t.Fatal(err)
		}
		seen += len(all)
	}
	if seen != 4*4 {
		t.Fatalf("saw %d public parameters, want 16", seen)
	}
	one, _, err := s.ByPath(ctx, sc, ByPathInput{Path: "/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/x86_64/standard/recommended/"})
	if err != nil || len(one) != 2 || one[0].Name[len(one[0].Name)-8:] != "image_id" {
		t.Fatalf("one level: %+v, %v", one, err)
	}
	none, _, err := s.ByPath(ctx, sc, ByPathInput{Path: "/aws/service/eks/optimized-ami/1.36"})
	if err != nil || len(none) != 0 {
		t.Fatalf("not recursive: %+v, %v", none, err)
	}
}

func TestPutGetVersions(t *testing.T) {
	s, sc := newTestService(t)
	ctx := context.Background()
	r, err := s.Put(ctx, sc, PutInput{Name: "/app/db/host", Value: str("a"), Type: TypeString, Description: str("the host")})
	if err != nil || r.Version != 1 || r.Tier != TierStandard {
		t.Fatalf("put: %+v, %v", r, err)
	}
	_, err = s.Put(ctx, sc, PutInput{Name: "/app/db/host", Value: str("b")})
	wantCode(t, err, CodeParameterAlreadyExists)
	r, err = s.Put(ctx, sc, PutInput{Name: "/app/db/host", Value: str("b"), Overwrite: true})
	if err != nil || r.Version != 2 {
		t.Fatalf("overwrite: %+v, %v", r, err)
	}
	p, err := s.Get(ctx, sc, "/app/db/host")
	if err != nil || p.Value != "b" || p.Version != 2 || p.Type != TypeString || p.Description != "the host" {
		t.Fatalf("get: %+v, %v", p, err)
	}
	old, err := s.Get(ctx, sc, "/app/db/host:1")
	if err != nil || old.Value != "a" || old.Selector != ":1" || old.Name != "/app/db/host" {
		t.Fatalf("get :1: %+v, %v", old, err)
	}
	_, err = s.Get(ctx, sc, "/app/db/host:7")
	wantCode(t, err, CodeParameterVersionMissing)
	byARN, err := s.Get(ctx, sc, "arn:aws:ssm:us-east-1:"+sc.Account+":parameter/app/db/host")
	if err != nil || byARN.Value != "b" {
		t.Fatalf("by ARN: %+v, %v", byARN, err)
	}
	hist, _, err := s.History(ctx, sc, "/app/db/host", Page{})
	if err != nil || len(hist) != 2 || hist[0].Value != "a" {
		t.Fatalf("history: %+v, %v", hist, err)
	}
	_, err = s.Put(ctx, sc, PutInput{Name: "/new", Value: str("x")})
	wantCode(t, err, "ValidationException")
}

func TestPutValidation(t *testing.T) {
	s, sc := newTestService(t)
	ctx := context.Background()
	for name, code := range map[string]string{
		"/aws/mine": CodeAccessDenied, "/ssm/x": CodeValidation, "awsx": CodeValidation, "a/b": CodeValidation,
		"/a b": CodeValidation, "": CodeValidation, "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16": CodeHierarchyLevelLimit,
	} {
		_, err := s.Put(ctx, sc, PutInput{Name: name, Value: str("v"), Type: TypeString})
		wantCode(t, err, code)
	}
	_, err := s.Put(ctx, sc, PutInput{Name: "x", Value: str(""), Type: TypeString})
	wantCode(t, err, CodeValidation)
	_, err = s.Put(ctx, sc, PutInput{Name: "x", Value: str("v"), Type: "str"})
	wantCode(t, err, CodeValidation)
	_, err = s.Put(ctx, sc, PutInput{Name: "x", Value: str("abc"), Type: TypeString, AllowedPattern: str("^[0-9]+$")})
	wantCode(t, err, CodePatternMismatch)
	big := make([]byte, 5000)
	for i := range big {
		big[i] = 'x'
	}
	_, err = s.Put(ctx, sc, PutInput{Name: "x", Value: str(string(big)), Type: TypeString})
	wantCode(t, err, CodeValidation)
	r, err := s.Put(ctx, sc, PutInput{Name: "x", Value: str(string(big)), Type: TypeString, Tier: TierIntelligent})
	if err != nil || r.Tier != TierAdvanced {
		t.Fatalf("intelligent tiering: %+v, %v", r, err)
	}
}

func TestDeleteAndDescribe(t *testing.T) {
	s, sc := newTestService(t)
	ctx := context.Background()
	for i := range 12 {
		typ := TypeString
		if i%3 == 0 {
			typ = TypeStringList
		}
		if _, err := s.Put(ctx, sc, PutInput{Name: fmt.Sprintf("/svc/p%02d", i), Value: str("a,b"), Type: typ, Tags: map[string]string{"team": fmt.Sprint(i % 2)}}); err != nil {
			t.Fatal(err)
		}
	}
	page, next, err := s.Describe(ctx, sc, DescribeInput{})
	if err != nil || len(page) != 10 || next == "" || page[0].Value != "" {
		t.Fatalf("describe: %d %q %v", len(page), next, err)
	}
	lists, _, err := s.Describe(ctx, sc, DescribeInput{ParameterFilters: []Filter{{Key: "Type", Values: []string{TypeStringList}}}})
	if err != nil || len(lists) != 4 {
		t.Fatalf("by type: %d, %v", len(lists), err)
	}
	tagged, _, err := s.Describe(ctx, sc, DescribeInput{ParameterFilters: []Filter{{Key: "tag:team", Values: []string{"1"}}}})
	if err != nil || len(tagged) != 6 {
		t.Fatalf("by tag: %d, %v", len(tagged), err)
	}
	_, _, err = s.Describe(ctx, sc, DescribeInput{ParameterFilters: []Filter{{Key: "Bogus", Values: []string{"1"}}}})
	wantCode(t, err, CodeInvalidFilterKey)

	wantCode(t, s.Delete(ctx, sc, "/svc/nope"), CodeParameterNotFound)
	if err := s.Delete(ctx, sc, "/svc/p00"); err != nil {
		t.Fatal(err)
	}
	res, err := s.DeleteMany(ctx, sc, []string{"/svc/p01", "/svc/p00", "/svc/p02"})
	if err != nil || len(res.Deleted) != 2 || len(res.Invalid) != 1 || res.Invalid[0] != "/svc/p00" {
		t.Fatalf("delete many: %+v, %v", res, err)
	}
	got, err := s.GetMany(ctx, sc, []string{"/svc/p03", "/svc/p01", "/aws/service/eks/optimized-ami/1.35/amazon-linux-2/recommended/image_id"})
	if err != nil || len(got.Parameters) != 2 || len(got.Invalid) != 1 {
		t.Fatalf("get many: %+v, %v", got, err)
	}
	_, err = s.GetMany(ctx, sc, []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"})
	wantCode(t, err, CodeValidation)
}
