package kms

import (
	"context"
	"slices"
	"testing"
)

func TestAliasRules(t *testing.T) {
	s, sc, _ := newTestService(t)
	ctx := context.Background()
	k := mustCreateKey(t, s, sc)
	wantCode(t, s.CreateAlias(ctx, sc, "app", k.ID), CodeInvalidAliasName)
	wantCode(t, s.CreateAlias(ctx, sc, "alias/", k.ID), CodeInvalidAliasName)
	wantCode(t, s.CreateAlias(ctx, sc, "alias/aws/ebs", k.ID), CodeInvalidAliasName)
	wantCode(t, s.CreateAlias(ctx, sc, "alias/has space", k.ID), CodeValidation)
	wantCode(t, s.CreateAlias(ctx, sc, "alias/x", "alias/other"), CodeValidation)
	wantCode(t, s.CreateAlias(ctx, sc, "alias/x", "0b0c2a3e-1111-4222-8333-944445555666"), CodeNotFound)

	if err := s.CreateAlias(ctx, sc, "alias/app/db", k.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.CreateAlias(ctx, sc, "alias/app/db", k.ID), CodeAlreadyExists)
	for _, name := range []string{"alias/app/db", sc.AliasARN("alias/app/db")} {
		d, err := s.DescribeKey(ctx, sc, name)
		if err != nil || d.ID != k.ID {
			t.Fatalf("describe by %s: %v", name, err)
		}
	}
	if d, _ := s.DescribeKey(ctx, sc, k.ID); !slices.Equal(d.Aliases, []string{"alias/app/db"}) {
		t.Fatalf("the key lists aliases %v", d.Aliases)
	}
	_, err := s.DescribeKey(ctx, sc, "alias/missing")
	wantCode(t, err, CodeNotFound)
}

func TestUpdateAndDeleteAlias(t *testing.T) {
	s, sc, _ := newTestService(t)
	ctx := context.Background()
	a, b := mustCreateKey(t, s, sc), mustCreateKey(t, s, sc)
	if err := s.CreateAlias(ctx, sc, "alias/current", a.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateAlias(ctx, sc, "alias/current", b.ARN); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.DescribeKey(ctx, sc, "alias/current"); d.ID != b.ID {
		t.Fatalf("the alias names %s after UpdateAlias", d.ID)
	}
	if d, _ := s.DescribeKey(ctx, sc, a.ID); len(d.Aliases) != 0 {
		t.Fatalf("the old key still lists %v", d.Aliases)
	}
	if d, _ := s.DescribeKey(ctx, sc, b.ID); !slices.Equal(d.Aliases, []string{"alias/current"}) {
		t.Fatalf("the new key lists %v", d.Aliases)
	}
	wantCode(t, s.UpdateAlias(ctx, sc, "alias/none", b.ID), CodeNotFound)

	if err := s.CreateAlias(ctx, sc, "alias/other", a.ID); err != nil {
		t.Fatal(err)
	}
	all, _, err := s.ListAliases(ctx, sc, "", Page{})
	if err != nil || len(all) != 2 || all[0].Name != "alias/current" || all[1].Name != "alias/other" {
		t.Fatalf("aliases %v: %v", all, err)
	}
	ofA, _, err := s.ListAliases(ctx, sc, a.ARN, Page{})
	if err != nil || len(ofA) != 1 || ofA[0].Name != "alias/other" || ofA[0].TargetKeyID != a.ID || ofA[0].ARN != sc.AliasARN("alias/other") {
		t.Fatalf("aliases of a: %v: %v", ofA, err)
	}
	one := 1
	first, next, err := s.ListAliases(ctx, sc, "", Page{Limit: &one})
	if err != nil || len(first) != 1 || next == "" {
		t.Fatalf("first page %v next %q: %v", first, next, err)
	}
	second, next, err := s.ListAliases(ctx, sc, "", pageOf(&one, next))
	if err != nil || len(second) != 1 || second[0].Name != "alias/other" || next != "" {
		t.Fatalf("second page %v next %q: %v", second, next, err)
	}

	if err := s.DeleteAlias(ctx, sc, "alias/current"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteAlias(ctx, sc, "alias/current"), CodeNotFound)
	if d, _ := s.DescribeKey(ctx, sc, b.ID); len(d.Aliases) != 0 {
		t.Fatalf("the key still lists a deleted alias: %v", d.Aliases)
	}
	_, err = s.DescribeKey(ctx, sc, "alias/current")
	wantCode(t, err, CodeNotFound)
}
