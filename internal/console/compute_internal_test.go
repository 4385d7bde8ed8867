package console

import (
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func TestTrustPolicyAllows(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want bool
	}{
		{`{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, true},
		{url.QueryEscape(`{"Statement":{"Effect":"Allow","Principal":{"Service":["eks.amazonaws.com","ec2.amazonaws.com"]}}}`), true},
		{`{"Statement":[{"Effect":"Deny","Principal":{"Service":"ec2.amazonaws.com"}}]}`, false},
		{`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"}}]}`, false},
		{`{"Statement":[{"Effect":"Allow","Principal":"*"}]}`, false},
		{`not json`, false},
	} {
		if got := trustPolicyAllows(tc.doc, "ec2.amazonaws.com"); got != tc.want {
			t.Errorf("%s: %v", tc.doc, got)
		}
	}
}

func TestParseTaints(t *testing.T) {
	got, err := parseTaints("a=b:NoSchedule\n\n c:NO_EXECUTE \nk=v:x:PreferNoSchedule")
	if err != nil {
		t.Fatal(err)
	}
	want := []ekstypes.Taint{{Key: aws.String("a"), Value: aws.String("b"), Effect: ekstypes.TaintEffectNoSchedule},
		{Key: aws.String("c"), Effect: ekstypes.TaintEffectNoExecute}, {Key: aws.String("k"), Value: aws.String("v:x"), Effect: ekstypes.TaintEffectPreferNoSchedule}}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range want {
		if aws.ToString(got[i].Key) != aws.ToString(want[i].Key) || aws.ToString(got[i].Value) != aws.ToString(want[i].Value) || got[i].Effect != want[i].Effect {
			t.Errorf("taint %d: %+v", i, got[i])
		}
	}
	if got := keyValueLines(map[string]string{"b": "2", "a": "1"}); got != "a=1\nb=2\n" {
		t.Errorf("keyValueLines %q", got)
	}
	for _, bad := range []string{"a=b", "a=b:Sometimes"} {
		if _, err := parseTaints(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := parseKeyValueLines("a=1\nnokey", "Labels"); err == nil {
		t.Error("a line without = accepted")
	}
}
