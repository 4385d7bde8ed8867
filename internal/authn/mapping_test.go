package authn

import (
	"slices"
	"testing"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
)

const acct = "111122223333"

func userPrincipal(name string) awsproto.Principal {
	return awsproto.Principal{Account: acct, ARN: "arn:aws:iam::" + acct + ":user/" + name, UserID: "AIDA" + name, AccessKeyID: "AKIA" + name}
}

func rolePrincipal(role, session string) awsproto.Principal {
	return awsproto.Principal{Account: acct, ARN: "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + session, UserID: "AROA" + role + ":" + session, AccessKeyID: "ASIA" + role}
}

func TestMapIdentityByMode(t *testing.T) {
	creator := userPrincipal("creator")
	dev := userPrincipal("dev")
	ops := rolePrincipal("Ops", "jane@example.com")
	awsAuth := ParseAWSAuth(map[string]string{
		"mapUsers": "- userarn: arn:aws:iam::" + acct + ":user/DEV\n  username: dev-from-configmap\n  groups: [devs]\n",
		"mapRoles": "- rolearn: arn:aws:iam::" + acct + ":role/Ops\n  username: ops:{{SessionName}}\n  groups: [system:masters]\n",
	})
	entries := []AccessEntry{
		{PrincipalARN: "arn:aws:iam::" + acct + ":user/dev", Type: "STANDARD", Groups: []string{"viewers"}},
		{PrincipalARN: "arn:aws:iam::" + acct + ":role/Ops", Type: "STANDARD"},
	}
	base := ClusterIdentity{Name: "c", CreatorARN: creator.ARN, BootstrapAdmin: true, AccessEntries: entries, AWSAuth: awsAuth}
	cases := []struct {
		mode       string
		p          awsproto.Principal
		wantUser   string
		wantGroups []string
		wantErr    bool
	}{
		{eks.AuthModeConfigMap, creator, creator.ARN, []string{"system:masters"}, false},
		{"", dev, "dev-from-configmap", []string{"devs"}, false},
		{eks.AuthModeConfigMap, ops, "ops:jane-example.com", []string{"system:masters"}, false},
		{eks.AuthModeAPIAndConfigMap, dev, dev.ARN, []string{"viewers"}, false}, // entries win
		{eks.AuthModeAPIAndConfigMap, ops, "arn:aws:sts::" + acct + ":assumed-role/Ops/jane-example.com", []string{}, false},
		{eks.AuthModeAPI, dev, dev.ARN, []string{"viewers"}, false},
		{eks.AuthModeAPI, creator, "", nil, true}, // in API mode the creator needs an entry
		{eks.AuthModeAPI, userPrincipal("stranger"), "", nil, true},
		{eks.AuthModeConfigMap, userPrincipal("stranger"), "", nil, true},
	}
	for _, c := range cases {
		cl := base
		cl.AuthenticationMode = c.mode
		u, err := MapIdentity(cl, c.p)
		if c.wantErr {
			if err == nil {
				t.Errorf("%s %s: mapped to %+v, want unmapped", c.mode, c.p.ARN, u)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", c.mode, c.p.ARN, err)
			continue
		}
		if u.Username != c.wantUser || !slices.Equal(u.Groups, c.wantGroups) {
			t.Errorf("%s %s: got %s %v, want %s %v", c.mode, c.p.ARN, u.Username, u.Groups, c.wantUser, c.wantGroups)
		}
		if got := u.Extra["canonicalArn"]; len(got) != 1 || got[0] == "" {
			t.Errorf("%s %s: no canonicalArn in extra: %v", c.mode, c.p.ARN, u.Extra)
		}
	}
}

func TestMapIdentityNodeEntries(t *testing.T) {
	node := rolePrincipal("NodeRole", "i-0123456789abcdef0")
	cl := ClusterIdentity{Name: "c", AuthenticationMode: eks.AuthModeAPI,
		Instances:     map[string]string{"i-0123456789abcdef0": "ip-172-31-0-10.ec2.internal"},
		AccessEntries: []AccessEntry{{PrincipalARN: "arn:aws:iam::" + acct + ":role/NodeRole", Type: "EC2_LINUX"}}}
	u, err := MapIdentity(cl, node)
	if err != nil || u.Username != "system:node:ip-172-31-0-10.ec2.internal" || !slices.Equal(u.Groups, []string{"system:nodes"}) {
		t.Fatalf("EC2_LINUX entry: %+v %v", u, err)
	}
	if _, err := MapIdentity(cl, rolePrincipal("NodeRole", "not-an-instance")); err == nil {
		t.Fatal("a node role session that is no instance of the cluster was mapped")
	}
	cl.AccessEntries[0].Type = "FARGATE_LINUX"
	u, err = MapIdentity(cl, rolePrincipal("NodeRole", "fargate-ip-10-0-0-1"))
	if err != nil || u.Username != "system:node:fargate-ip-10-0-0-1" || !slices.Contains(u.Groups, "system:node-proxier") {
		t.Fatalf("FARGATE_LINUX entry: %+v %v", u, err)
	}
}

func TestParseAWSAuthKeepsGoodKeys(t *testing.T) {
	a := ParseAWSAuth(map[string]string{"mapRoles": "- rolearn: [not: a string", "mapAccounts": "- \"" + acct + "\"\n"})
	if len(a.Errors) != 1 || !slices.Equal(a.MapAccounts, []string{acct}) {
		t.Fatalf("got %+v", a)
	}
	u, err := MapIdentity(ClusterIdentity{Name: "c", AWSAuth: a}, userPrincipal("anyone"))
	if err != nil || u.Username != userPrincipal("anyone").ARN || len(u.Groups) != 0 {
		t.Fatalf("mapAccounts: %+v %v", u, err)
	}
}
