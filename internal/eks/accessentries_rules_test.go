package eks

import (
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/awserr"
)

// codeOf is the AWS error code of err, "" for nil.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	e, _ := awserr.AsError(err)
	return e.Code
}

func TestPrincipalARNs(t *testing.T) {
	cases := []struct {
		arn              string
		ok               bool
		kind, path, name string
		serviceLinked    bool
	}{
		{arn: "arn:aws:iam::111122223333:role/admin", ok: true, kind: "role", path: "/", name: "admin"},
		{arn: "arn:aws:iam::111122223333:role/team/ops/admin", ok: true, kind: "role", path: "/team/ops/", name: "admin"},
		{arn: "arn:aws:iam::111122223333:user/alice", ok: true, kind: "user", path: "/", name: "alice"},
		{arn: "arn:aws:iam::111122223333:role/aws-service-role/emr-containers.amazonaws.com/AWSServiceRoleForAmazonEMRContainers", ok: true,
			kind: "role", path: "/aws-service-role/emr-containers.amazonaws.com/", name: "AWSServiceRoleForAmazonEMRContainers", serviceLinked: true},
		{arn: "arn:aws:sts::111122223333:assumed-role/admin/session"}, // a session, not a principal
		{arn: "arn:aws:iam::111122223333:group/admins"},
		{arn: "arn:aws:iam::111122223333:root"},
		{arn: "arn:aws:iam::111122223333:role/"},
		{arn: "arn:aws:iam::1111:role/short-account"},
		{arn: "arn:aws:iam:us-east-1:111122223333:role/regional"},
		{arn: "role/admin"},
		{arn: ""},
	}
	for _, tc := range cases {
		p, err := parsePrincipal("c", tc.arn)
		if !tc.ok {
			if code := codeOf(err); code != CodeInvalidParameter || !strings.Contains(err.Error(), "principalArn parameter format is not valid") {
				t.Errorf("%q: got %v, want the format error", tc.arn, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.arn, err)
			continue
		}
		if p.kind != tc.kind || p.path != tc.path || p.name != tc.name || p.account != "111122223333" || p.serviceLinked() != tc.serviceLinked {
			t.Errorf("%q: got %+v (service-linked %t)", tc.arn, p, p.serviceLinked())
		}
	}
}

func TestDefaultUsernames(t *testing.T) {
	role, _ := parsePrincipal("c", "arn:aws:iam::111122223333:role/team/admin")
	user, _ := parsePrincipal("c", "arn:aws:iam::111122223333:user/dev/alice")
	cases := []struct {
		typ  string
		p    principal
		want string
	}{
		// The path of a role goes: the session ARN has none.
		{AccessEntryStandard, role, "arn:aws:sts::111122223333:assumed-role/admin/{{SessionName}}"},
		{AccessEntryStandard, user, "arn:aws:iam::111122223333:user/dev/alice"},
		{AccessEntryEC2Linux, role, "system:node:{{EC2PrivateDNSName}}"},
		{AccessEntryEC2Windows, role, "system:node:{{EC2PrivateDNSName}}"},
		{AccessEntryFargateLinux, role, "system:node:{{SessionName}}"},
		{AccessEntryHybridLinux, role, "system:node:{{SessionName}}"},
	}
	for _, tc := range cases {
		if got := defaultUsername(tc.typ, tc.p); got != tc.want {
			t.Errorf("%s %s: got %q, want %q", tc.typ, tc.p.arn, got, tc.want)
		}
	}
	if g := defaultGroups(AccessEntryEC2Linux); len(g) != 1 || g[0] != "system:nodes" {
		t.Errorf("EC2_LINUX groups: %v", g)
	}
	if g := defaultGroups(AccessEntryStandard); g != nil {
		t.Errorf("STANDARD groups: %v", g)
	}
}

func TestUsernameRules(t *testing.T) {
	for name, wantOK := range map[string]bool{
		"alice":                    true,
		"dev:{{SessionName}}":      true,
		"team:x{{SessionNameRaw}}": true,
		"arn:aws:sts::111122223333:assumed-role/r/{{SessionName}}": true,
		"john{{SessionName}}":       false, // no colon before the session name
		"system:admin":              false,
		"eks:thing":                 false,
		"aws:x":                     false,
		"amazon:x":                  false,
		"iam:x":                     false,
		"{{SessionNameRaw}}:suffix": false,
	} {
		err := checkUsername("c", name)
		if (err == nil) != wantOK {
			t.Errorf("%q: got %v, want ok=%t", name, err, wantOK)
		}
		if err != nil && codeOf(err) != CodeInvalidParameter {
			t.Errorf("%q: code %s", name, codeOf(err))
		}
	}
	if err := checkUsername("c", "system:node:x"); err == nil || !strings.Contains(err.Error(), "The username must not begin with system:") {
		t.Errorf("system: message: %v", err)
	}
}

func TestGroupRules(t *testing.T) {
	if err := checkGroups("c", []string{"viewers", "dev-team"}); err != nil {
		t.Fatal(err)
	}
	err := checkGroups("c", []string{"viewers", "system:masters"})
	if codeOf(err) != CodeInvalidParameter || !strings.Contains(err.Error(), "The kubernetes group name system:masters is invalid, it cannot start with system:") {
		t.Fatalf("system:masters: %v", err)
	}
	if err := checkGroups("c", []string{""}); codeOf(err) != CodeInvalidParameter {
		t.Fatalf("empty group: %v", err)
	}
}

func TestScopeRules(t *testing.T) {
	cases := []struct {
		typ        string
		namespaces []string
		ok         bool
	}{
		{AccessScopeCluster, nil, true},
		{AccessScopeNamespace, []string{"default", "dev-*", "kube-system"}, true},
		{AccessScopeCluster, []string{"default"}, false}, // cluster scope names no namespaces
		{AccessScopeNamespace, nil, false},               // namespace scope needs some
		{AccessScopeNamespace, []string{"Not_A_Namespace"}, false},
		{AccessScopeNamespace, []string{strings.Repeat("a", 64)}, false},
		{"", nil, false},
		{"everything", nil, false},
	}
	for _, tc := range cases {
		err := checkScope("c", tc.typ, tc.namespaces)
		if (err == nil) != tc.ok || (err != nil && codeOf(err) != CodeInvalidParameter) {
			t.Errorf("%s %v: got %v, want ok=%t", tc.typ, tc.namespaces, err, tc.ok)
		}
	}
}

func TestEntryTypes(t *testing.T) {
	for _, typ := range []string{"STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "EC2", "HYPERPOD_LINUX"} {
		if err := checkEntryType("c", typ); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	}
	for _, typ := range []string{"standard", "EC2_MAC", "NODE"} {
		if codeOf(checkEntryType("c", typ)) != CodeInvalidParameter {
			t.Errorf("%s was taken", typ)
		}
	}
	if !takesPolicies(AccessEntryStandard) || !takesPolicies(AccessEntryEC2) || takesPolicies(AccessEntryEC2Linux) || takesPolicies(AccessEntryFargateLinux) {
		t.Error("policies are for STANDARD and Auto Mode entries only")
	}
}

func TestAuthModeMovesOneStepForward(t *testing.T) {
	cases := []struct {
		from, to string
		ok       bool
	}{
		{AuthModeConfigMap, AuthModeAPIAndConfigMap, true},
		{"", AuthModeAPIAndConfigMap, true}, // a cluster recorded before keks had modes is CONFIG_MAP
		{AuthModeAPIAndConfigMap, AuthModeAPI, true},
		{AuthModeConfigMap, AuthModeAPI, false}, // by way of API_AND_CONFIG_MAP only
		{AuthModeAPIAndConfigMap, AuthModeConfigMap, false},
		{AuthModeAPI, AuthModeAPIAndConfigMap, false},
		{AuthModeAPI, AuthModeAPI, false},
		{AuthModeConfigMap, "OIDC", false},
	}
	for _, tc := range cases {
		u, err := authModeUpdate("c", tc.from, tc.to)
		if (err == nil) != tc.ok {
			t.Errorf("%s -> %s: got %v, want ok=%t", tc.from, tc.to, err, tc.ok)
			continue
		}
		if err != nil {
			if codeOf(err) != CodeInvalidParameter {
				t.Errorf("%s -> %s: code %s", tc.from, tc.to, codeOf(err))
			}
			continue
		}
		if u.Type != "AccessConfigUpdate" || len(u.Params) != 1 || u.Params[0].Type != "AuthenticationMode" || u.Params[0].Value != `"`+tc.to+`"` {
			t.Errorf("%s -> %s: update %+v", tc.from, tc.to, u)
		}
	}
	_, err := authModeUpdate("c", AuthModeConfigMap, AuthModeAPI)
	if err == nil || !strings.Contains(err.Error(), "Unsupported authentication mode update from CONFIG_MAP to API") {
		t.Errorf("message: %v", err)
	}
}

func TestCanonicalPrincipalARN(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1": "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_1",
		"arn:aws:iam::111122223333:role/admin":                                                 "arn:aws:iam::111122223333:role/admin",
		"arn:aws:iam::111122223333:user/dev/alice":                                             "arn:aws:iam::111122223333:user/dev/alice",
	} {
		e := AccessEntry{PrincipalARN: arn}
		if got := e.CanonicalPrincipalARN(); got != want {
			t.Errorf("%s: got %s, want %s", arn, got, want)
		}
	}
}
