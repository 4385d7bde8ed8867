package kms

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestKeyPolicies(t *testing.T) {
	s, sc, _ := newTestService(t)
	ctx := context.Background()
	k := mustCreateKey(t, s, sc)
	doc, err := s.GetKeyPolicy(ctx, sc, k.ID, "")
	if err != nil || doc != DefaultKeyPolicy(sc.Account) {
		t.Fatalf("policy %s: %v", doc, err)
	}
	if err := checkPolicy(doc); err != nil {
		t.Fatalf("the default key policy does not pass keks's own check: %v", err)
	}
	mine := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"kms:Decrypt","Resource":"*"}]}`
	if err := s.PutKeyPolicy(ctx, sc, k.ARN, "default", mine); err != nil {
		t.Fatal(err)
	}
	if doc, _ := s.GetKeyPolicy(ctx, sc, k.ID, "default"); doc != mine {
		t.Fatalf("policy after PutKeyPolicy: %s", doc)
	}
	for _, bad := range []string{"{", `[]`, `{"Statement":[]}`, `{"Version":"2020-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}`,
		`{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`, `{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"kms:*","Resource":"*"}]}`} {
		wantCode(t, s.PutKeyPolicy(ctx, sc, k.ID, "", bad), CodeMalformedPolicy)
	}
	wantCode(t, s.PutKeyPolicy(ctx, sc, k.ID, "", `{"Statement":"`+strings.Repeat("x", 33000)+`"}`), CodeLimitExceeded)
	wantCode(t, s.PutKeyPolicy(ctx, sc, k.ID, "", "{\x01}"), CodeValidation)
	wantCode(t, s.PutKeyPolicy(ctx, sc, k.ID, "other", mine), CodeNotFound)
	_, err = s.GetKeyPolicy(ctx, sc, k.ID, "not-a-name")
	wantCode(t, err, CodeValidation)
	names, next, err := s.ListKeyPolicies(ctx, sc, k.ID, Page{})
	if err != nil || !slices.Equal(names, []string{"default"}) || next != "" {
		t.Fatalf("policy names %v %q: %v", names, next, err)
	}
	_, err = s.CreateKey(ctx, sc, CreateKeyInput{Policy: new(string)})
	wantCode(t, err, CodeValidation)
	withPolicy, err := s.CreateKey(ctx, sc, CreateKeyInput{Policy: &mine})
	if err != nil || withPolicy.Policy != mine {
		t.Fatalf("create with a policy: %v", err)
	}
}

func TestTags(t *testing.T) {
	s, sc, _ := newTestService(t)
	ctx := context.Background()
	k, err := s.CreateKey(ctx, sc, CreateKeyInput{Tags: []Tag{{"team", "a"}, {"env", ""}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.TagResource(ctx, sc, k.ARN, []Tag{{"team", "b"}, {"cost", "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.UntagResource(ctx, sc, k.ID, []string{"env", "absent"}); err != nil {
		t.Fatal(err)
	}
	tags, _, err := s.ListResourceTags(ctx, sc, k.ID, Page{})
	if err != nil || !slices.Equal(tags, []Tag{{"cost", "1"}, {"team", "b"}}) {
		t.Fatalf("tags %v: %v", tags, err)
	}
	one := 1
	page, next, err := s.ListResourceTags(ctx, sc, k.ID, Page{Limit: &one})
	if err != nil || len(page) != 1 || next == "" {
		t.Fatalf("first page %v %q: %v", page, next, err)
	}
	wantCode(t, s.TagResource(ctx, sc, k.ID, []Tag{{"aws:owner", "x"}}), CodeTag)
	wantCode(t, s.TagResource(ctx, sc, k.ID, []Tag{{"a", "1"}, {"a", "2"}}), CodeTag)
	wantCode(t, s.TagResource(ctx, sc, k.ID, []Tag{{"", "x"}}), CodeValidation)
	wantCode(t, s.TagResource(ctx, sc, k.ID, []Tag{{strings.Repeat("k", 129), "x"}}), CodeValidation)
	many := make([]Tag, 49)
	for i := range many {
		many[i] = Tag{Key: "k" + string(rune('A'+i)), Value: "v"}
	}
	wantCode(t, s.TagResource(ctx, sc, k.ID, many), CodeLimitExceeded)
	wantCode(t, s.TagResource(ctx, sc, k.ID, nil), CodeValidation)
}
