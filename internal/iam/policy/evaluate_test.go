package policy

import "testing"

const account = "111122223333"

var (
	userBob = Principal{ARN: "arn:aws:iam::111122223333:user/dev/bob", Account: account, UserID: "AIDABOBEXAMPLE1234", Username: "bob"}
	session = Principal{ARN: "arn:aws:sts::111122223333:assumed-role/deployer/ci", Account: account, UserID: "AROADEPLOYEREXAMPLE1:ci", RoleARN: "arn:aws:iam::111122223333:role/ci/deployer"}
	rootOf  = Principal{ARN: "arn:aws:iam::111122223333:root", Account: account, UserID: account}
	other   = Principal{ARN: "arn:aws:iam::444455556666:user/eve", Account: "444455556666", UserID: "AIDAEVEEXAMPLE12345", Username: "eve"}
	eks     = Principal{Service: "eks.amazonaws.com"}
	oidc    = Principal{Federated: "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"}
)

func TestEvaluateActionsAndResources(t *testing.T) {
	const cluster = "arn:aws:eks:us-east-1:111122223333:cluster/prod"
	tests := []struct {
		name      string
		statement string
		action    string
		resource  string
		want      Decision
	}{
		{"admin", `"Action":"*","Resource":"*"`, "eks:DeleteCluster", cluster, Allow},
		{"service wildcard", `"Action":"eks:*","Resource":"*"`, "eks:DeleteCluster", cluster, Allow},
		{"other service", `"Action":"eks:*","Resource":"*"`, "ec2:RunInstances", cluster, NotApplicable},
		{"action case", `"Action":"EKS:deletecluster","Resource":"*"`, "eks:DeleteCluster", cluster, Allow},
		{"action prefix", `"Action":"eks:Describe*","Resource":"*"`, "eks:DeleteCluster", cluster, NotApplicable},
		{"action list", `"Action":["eks:Describe*","eks:Delete*"],"Resource":"*"`, "eks:DeleteCluster", cluster, Allow},
		{"not action", `"NotAction":"iam:*","Resource":"*"`, "eks:DeleteCluster", cluster, Allow},
		{"not action, excluded", `"NotAction":["iam:*","eks:Delete*"],"Resource":"*"`, "eks:DeleteCluster", cluster, NotApplicable},
		{"resource", `"Action":"*","Resource":"` + cluster + `"`, "eks:DeleteCluster", cluster, Allow},
		{"resource, case-sensitive", `"Action":"*","Resource":"arn:aws:eks:us-east-1:111122223333:cluster/Prod"`, "eks:DeleteCluster", cluster, NotApplicable},
		{"resource wildcard", `"Action":"*","Resource":"arn:aws:eks:*:111122223333:cluster/*"`, "eks:DeleteCluster", cluster, Allow},
		{"resource star request", `"Action":"*","Resource":"arn:aws:eks:*:*:cluster/*"`, "eks:ListClusters", "*", NotApplicable},
		{"not resource", `"Action":"*","NotResource":"arn:aws:eks:*:*:cluster/dev"`, "eks:DeleteCluster", cluster, Allow},
		{"not resource, excluded", `"Action":"*","NotResource":["arn:aws:s3:::*","arn:aws:eks:*:*:cluster/*"]`, "eks:DeleteCluster", cluster, NotApplicable},
		{"not resource with unresolved variable", `"Action":"*","NotResource":"arn:aws:eks:*:*:cluster/${aws:username}"`, "eks:DeleteCluster", cluster, NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",`+tt.statement+`}}`, Identity)
			r := &Request{Principal: session, Action: tt.action, Resource: tt.resource}
			if got := d.Evaluate(r); got != tt.want {
				t.Errorf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExplicitDenyWins(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Effect":"Deny","Action":"eks:DeleteCluster","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"prod"}}}]}`
	d := mustParse(t, doc, Identity)
	prod := &Request{Action: "eks:DeleteCluster", Resource: "*", Context: ctx("aws:ResourceTag/env", "prod")}
	dev := &Request{Action: "eks:DeleteCluster", Resource: "*", Context: ctx("aws:ResourceTag/env", "dev")}
	if got := d.Evaluate(prod); got != ExplicitDeny {
		t.Errorf("prod: %v, want ExplicitDeny", got)
	}
	if got := d.Evaluate(dev); got != Allow {
		t.Errorf("dev: %v, want Allow", got)
	}
}

func TestDecide(t *testing.T) {
	allowAll := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Identity)
	allowEKS := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"eks:*","Resource":"*"}}`, Identity)
	denyDelete := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"eks:Delete*","Resource":"*"}}`, Identity)
	unrelated := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, Identity)
	r := func(action string) *Request { return &Request{Principal: userBob, Action: action, Resource: "*"} }
	tests := []struct {
		name   string
		docs   []*Document
		action string
		want   Decision
	}{
		{"none", nil, "eks:DeleteCluster", NotApplicable},
		{"unrelated", []*Document{unrelated}, "eks:DeleteCluster", NotApplicable},
		{"one allows", []*Document{unrelated, allowEKS}, "eks:DescribeCluster", Allow},
		{"deny beats allow", []*Document{allowAll, denyDelete}, "eks:DeleteCluster", ExplicitDeny},
		{"deny first beats allow", []*Document{denyDelete, allowAll}, "eks:DeleteCluster", ExplicitDeny},
		{"deny not matching", []*Document{allowAll, denyDelete}, "eks:DescribeCluster", Allow},
		{"deny alone", []*Document{denyDelete}, "eks:DescribeCluster", NotApplicable},
		{"nil skipped", []*Document{nil, allowEKS}, "eks:DescribeCluster", Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.docs, r(tt.action)); got != tt.want {
				t.Errorf("Decide = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvaluateResourceTrustPolicies(t *testing.T) {
	trust := func(principal string) *Document {
		return mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":`+principal+`,"Action":"sts:AssumeRole"}}`, Trust)
	}
	tests := []struct {
		name      string
		principal string
		caller    Principal
		want      Decision
	}{
		{"account id: a user of the account", `{"AWS":"111122223333"}`, userBob, AllowAccount},
		{"root ARN: a session of the account", `{"AWS":"arn:aws:iam::111122223333:root"}`, session, AllowAccount},
		{"account: the root user itself", `{"AWS":"111122223333"}`, rootOf, Allow},
		{"account: another account", `{"AWS":"111122223333"}`, other, NotApplicable},
		{"user ARN", `{"AWS":"arn:aws:iam::111122223333:user/dev/bob"}`, userBob, Allow},
		{"user ARN, other user", `{"AWS":"arn:aws:iam::111122223333:user/dev/alice"}`, userBob, NotApplicable},
		{"role ARN matches its sessions", `{"AWS":"arn:aws:iam::111122223333:role/ci/deployer"}`, session, Allow},
		{"role ARN, other role", `{"AWS":"arn:aws:iam::111122223333:role/ci/other"}`, session, NotApplicable},
		{"session ARN", `{"AWS":"arn:aws:sts::111122223333:assumed-role/deployer/ci"}`, session, Allow},
		{"other session ARN", `{"AWS":"arn:aws:sts::111122223333:assumed-role/deployer/other"}`, session, NotApplicable},
		{"role unique id", `{"AWS":"AROADEPLOYEREXAMPLE1"}`, session, Allow},
		{"user unique id", `{"AWS":"AIDABOBEXAMPLE1234"}`, userBob, Allow},
		{"star", `"*"`, other, Allow},
		{"star, anonymous", `"*"`, Principal{}, Allow},
		{"AWS star", `{"AWS":"*"}`, other, Allow},
		{"AWS star, not a service", `{"AWS":"*"}`, eks, NotApplicable},
		{"service", `{"Service":"eks.amazonaws.com"}`, eks, Allow},
		{"service list", `{"Service":["ec2.amazonaws.com","eks.amazonaws.com"]}`, eks, Allow},
		{"service, a user", `{"Service":"eks.amazonaws.com"}`, userBob, NotApplicable},
		{"federated", `{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"}`, oidc, Allow},
		{"federated, other provider", `{"Federated":"accounts.google.com"}`, oidc, NotApplicable},
		{"exact beats account", `{"AWS":["111122223333","arn:aws:iam::111122223333:user/dev/bob"]}`, userBob, Allow},
		{"canonical user never matches", `{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`, userBob, NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := trust(tt.principal)
			r := &Request{Principal: tt.caller, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/target"}
			if got := d.EvaluateResource(r); got != tt.want {
				t.Errorf("EvaluateResource = %v, want %v", got, tt.want)
			}
			// Identity evaluation ignores the principal.
			if got := d.Evaluate(r); got != Allow {
				t.Errorf("Evaluate = %v, want Allow", got)
			}
		})
	}
}

func TestEvaluateResourceCombines(t *testing.T) {
	d := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"ecr:*","Resource":"*"},
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/dev/bob"},"Action":"ecr:BatchGetImage","Resource":"*"},
		{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"ecr:DeleteRepository","Resource":"*"},
		{"Effect":"Allow","Principal":"*","Action":"ecr:GetDownloadUrlForLayer","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`, Resource)
	tests := []struct {
		name   string
		caller Principal
		action string
		ctx    map[string][]string
		want   Decision
	}{
		{"account grant", userBob, "ecr:ListImages", nil, AllowAccount},
		{"exact grant beats account grant", userBob, "ecr:BatchGetImage", nil, Allow},
		{"account deny", userBob, "ecr:DeleteRepository", nil, ExplicitDeny},
		{"other account", other, "ecr:ListImages", nil, NotApplicable},
		{"public with condition", other, "ecr:GetDownloadUrlForLayer", ctx("aws:SourceIp", "10.1.1.1"), Allow},
		{"public, condition fails", other, "ecr:GetDownloadUrlForLayer", ctx("aws:SourceIp", "11.1.1.1"), NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Principal: tt.caller, Action: tt.action, Resource: "arn:aws:ecr:us-east-1:111122223333:repository/app", Context: tt.ctx}
			if got := d.EvaluateResource(r); got != tt.want {
				t.Errorf("EvaluateResource = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNotPrincipal(t *testing.T) {
	deny := func(list string) *Document {
		return mustParse(t, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},
			{"Effect":"Deny","NotPrincipal":{"AWS":`+list+`},"Action":"s3:*","Resource":"*"}]}`, Resource)
	}
	tests := []struct {
		name   string
		list   string
		caller Principal
		want   Decision
	}{
		{"user and account listed", `["arn:aws:iam::111122223333:user/dev/bob","arn:aws:iam::111122223333:root"]`, userBob, Allow},
		{"user without account is denied", `["arn:aws:iam::111122223333:user/dev/bob"]`, userBob, ExplicitDeny},
		{"account alone denies its users", `["111122223333"]`, userBob, ExplicitDeny},
		{"account alone spares its root", `["111122223333"]`, rootOf, Allow},
		{"other user denied", `["arn:aws:iam::111122223333:user/dev/bob","111122223333"]`, other, ExplicitDeny},
		{"session, role and account listed", `["arn:aws:sts::111122223333:assumed-role/deployer/ci","arn:aws:iam::111122223333:role/ci/deployer","111122223333"]`, session, Allow},
		{"session without role is denied", `["arn:aws:sts::111122223333:assumed-role/deployer/ci","111122223333"]`, session, ExplicitDeny},
		{"role without session is denied", `["arn:aws:iam::111122223333:role/ci/deployer","111122223333"]`, session, ExplicitDeny},
		{"star spares all", `"*"`, other, Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Principal: tt.caller, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
			if got := deny(tt.list).EvaluateResource(r); got != tt.want {
				t.Errorf("EvaluateResource = %v, want %v", got, tt.want)
			}
		})
	}

	// NotPrincipal with Allow is not supported: it grants nothing.
	d := mustParse(t, `{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"*","Resource":"*"}}`, Resource)
	if got := d.EvaluateResource(&Request{Principal: other, Action: "s3:GetObject", Resource: "*"}); got != NotApplicable {
		t.Errorf("NotPrincipal Allow = %v, want NotApplicable", got)
	}
	// Service callers are left out only when their service is listed.
	d = mustParse(t, `{"Statement":{"Effect":"Deny","NotPrincipal":{"Service":"eks.amazonaws.com"},"Action":"*","Resource":"*"}}`, Resource)
	if got := d.EvaluateResource(&Request{Principal: eks, Action: "s3:GetObject", Resource: "*"}); got != NotApplicable {
		t.Errorf("listed service = %v, want NotApplicable", got)
	}
	if got := d.EvaluateResource(&Request{Principal: userBob, Action: "s3:GetObject", Resource: "*"}); got != ExplicitDeny {
		t.Errorf("unlisted user = %v, want ExplicitDeny", got)
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{NotApplicable: "NotApplicable", Allow: "Allow", ExplicitDeny: "ExplicitDeny", AllowAccount: "AllowAccount", Decision(9): "Decision(?)"} {
		if got := d.String(); got != want {
			t.Errorf("%d.String() = %q", d, got)
		}
	}
}
