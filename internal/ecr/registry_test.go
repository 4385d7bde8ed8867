package ecr

import (
	"context"
	"testing"

	"github.com/keksdev/keks/internal/store/storetest"
)

func TestRegistryRepositories(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	s := &Service{Store: st, Region: "eu-west-1"}
	if _, err := s.CreateRepository(ctx, "eu-west-1", testAccount, Repository{Name: "team/app"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRepository(ctx, "us-east-1", testAccount, Repository{Name: "team/east"}); err != nil {
		t.Fatal(err)
	}
	if got, want := s.RepositoryARN(testAccount, "team/app"), "arn:aws:ecr:eu-west-1:"+testAccount+":repository/team/app"; got != want {
		t.Errorf("ARN %s, want %s", got, want)
	}
	for _, tc := range []struct {
		account, name string
		want          bool
	}{
		{testAccount, "team/app", true},
		{testAccount, "team/missing", false},
		{testAccount, "team/east", false}, // another region's registry
		{"444455556666", "team/app", false},
	} {
		got, err := s.RepositoryExists(ctx, tc.account, tc.name)
		if err != nil || got != tc.want {
			t.Errorf("%s %s: %v %v, want %v", tc.account, tc.name, got, err, tc.want)
		}
	}
	if _, err := (&Service{Store: st}).RepositoryExists(ctx, testAccount, "team/app"); err == nil {
		t.Error("a registry without a region answered")
	}
}
