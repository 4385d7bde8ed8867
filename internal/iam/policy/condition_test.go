package policy

import (
	"fmt"
	"testing"
)

// conditionHolds evaluates an Allow-everything statement guarded by the
// given Condition block.
func conditionHolds(t *testing.T, block string, r *Request) bool {
	t.Helper()
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":%s}}`, block)
	d := mustParse(t, doc, Identity)
	if r.Action == "" {
		r.Action = "eks:DescribeCluster"
	}
	if r.Resource == "" {
		r.Resource = "*"
	}
	return d.Evaluate(r) == Allow
}

type conditionCase struct {
	name  string
	block string
	ctx   map[string][]string
	want  bool
}

func runConditionCases(t *testing.T, cases []conditionCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := conditionHolds(t, tc.block, &Request{Context: tc.ctx}); got != tc.want {
				t.Errorf("%s with %v = %v, want %v", tc.block, tc.ctx, got, tc.want)
			}
		})
	}
}

func ctx(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

func TestStringOperators(t *testing.T) {
	runConditionCases(t, []conditionCase{
		{"equals", `{"StringEquals":{"k:a":"x"}}`, ctx("k:a", "x"), true},
		{"equals other", `{"StringEquals":{"k:a":"x"}}`, ctx("k:a", "y"), false},
		{"equals is case-sensitive", `{"StringEquals":{"k:a":"x"}}`, ctx("k:a", "X"), false},
		{"equals has no wildcards", `{"StringEquals":{"k:a":"x*"}}`, ctx("k:a", "xy"), false},
		{"equals star literally", `{"StringEquals":{"k:a":"x*"}}`, ctx("k:a", "x*"), true},
		{"equals missing", `{"StringEquals":{"k:a":"x"}}`, nil, false},
		{"equals list is OR", `{"StringEquals":{"k:a":["x","y"]}}`, ctx("k:a", "y"), true},
		{"equals number value", `{"StringEquals":{"k:a":42}}`, ctx("k:a", "42"), true},
		{"equals bool value", `{"StringEquals":{"k:a":true}}`, ctx("k:a", "true"), true},
		{"key name ignores case", `{"StringEquals":{"K:A":"x"}}`, ctx("k:a", "x"), true},
		{"operator name ignores case", `{"stringequals":{"k:a":"x"}}`, ctx("k:a", "x"), true},
		{"keys are ANDed", `{"StringEquals":{"k:a":"x","k:b":"y"}}`, ctx("k:a", "x"), false},
		{"keys are ANDed, both", `{"StringEquals":{"k:a":"x","k:b":"y"}}`, ctx("k:a", "x", "k:b", "y"), true},
		{"operators are ANDed", `{"StringEquals":{"k:a":"x"},"StringLike":{"k:b":"y*"}}`, ctx("k:a", "x", "k:b", "zy"), false},
		{"not equals", `{"StringNotEquals":{"k:a":"x"}}`, ctx("k:a", "y"), true},
		{"not equals same", `{"StringNotEquals":{"k:a":"x"}}`, ctx("k:a", "x"), false},
		{"not equals list is NOR", `{"StringNotEquals":{"k:a":["x","y"]}}`, ctx("k:a", "y"), false},
		{"not equals list, none", `{"StringNotEquals":{"k:a":["x","y"]}}`, ctx("k:a", "z"), true},
		{"not equals missing", `{"StringNotEquals":{"k:a":"x"}}`, nil, true},
		{"ignore case", `{"StringEqualsIgnoreCase":{"k:a":"Prod"}}`, ctx("k:a", "PROD"), true},
		{"ignore case other", `{"StringEqualsIgnoreCase":{"k:a":"Prod"}}`, ctx("k:a", "dev"), false},
		{"not equals ignore case", `{"StringNotEqualsIgnoreCase":{"k:a":"Prod"}}`, ctx("k:a", "PROD"), false},
		{"not equals ignore case other", `{"StringNotEqualsIgnoreCase":{"k:a":"Prod"}}`, ctx("k:a", "dev"), true},
		{"like", `{"StringLike":{"k:a":"home/*/docs"}}`, ctx("k:a", "home/bob/docs"), true},
		{"like question", `{"StringLike":{"k:a":"t?.micro"}}`, ctx("k:a", "t3.micro"), true},
		{"like no match", `{"StringLike":{"k:a":"t?.micro"}}`, ctx("k:a", "m5.large"), false},
		{"like is case-sensitive", `{"StringLike":{"k:a":"a*"}}`, ctx("k:a", "Abc"), false},
		{"like empty value", `{"StringLike":{"k:a":""}}`, ctx("k:a", ""), true},
		{"not like", `{"StringNotLike":{"k:a":["t1.*","t2.*"]}}`, ctx("k:a", "m5.large"), true},
		{"not like matching", `{"StringNotLike":{"k:a":["t1.*","t2.*"]}}`, ctx("k:a", "t2.nano"), false},
		{"not like missing", `{"StringNotLike":{"k:a":"x"}}`, nil, true},
		{"multi-valued key, positive: any", `{"StringEquals":{"k:a":"x"}}`, ctx("k:a", "y", "k:a", "x"), true},
		{"multi-valued key, negated: none", `{"StringNotEquals":{"k:a":"x"}}`, ctx("k:a", "y", "k:a", "x"), false},
		{"empty value list is absent", `{"StringNotEquals":{"k:a":"x"}}`, map[string][]string{"k:a": {}}, true},
	})
}

func TestNumericOperators(t *testing.T) {
	runConditionCases(t, []conditionCase{
		{"equals", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "10"), true},
		{"equals decimal", `{"NumericEquals":{"s3:max-keys":10}}`, ctx("s3:max-keys", "10.0"), true},
		{"equals other", `{"NumericEquals":{"s3:max-keys":10}}`, ctx("s3:max-keys", "11"), false},
		{"not equals", `{"NumericNotEquals":{"s3:max-keys":[10,20]}}`, ctx("s3:max-keys", "15"), true},
		{"not equals listed", `{"NumericNotEquals":{"s3:max-keys":[10,20]}}`, ctx("s3:max-keys", "20"), false},
		{"not equals missing", `{"NumericNotEquals":{"s3:max-keys":10}}`, nil, true},
		{"less than", `{"NumericLessThan":{"n:n":"10"}}`, ctx("n:n", "9.5"), true},
		{"less than equal value", `{"NumericLessThan":{"n:n":"10"}}`, ctx("n:n", "10"), false},
		{"less than equals", `{"NumericLessThanEquals":{"n:n":"10"}}`, ctx("n:n", "10"), true},
		{"greater than", `{"NumericGreaterThan":{"n:n":"-1"}}`, ctx("n:n", "0"), true},
		{"greater than no", `{"NumericGreaterThan":{"n:n":"1"}}`, ctx("n:n", "1"), false},
		{"greater than equals", `{"NumericGreaterThanEquals":{"n:n":"1"}}`, ctx("n:n", "1"), true},
		{"missing", `{"NumericLessThan":{"n:n":"10"}}`, nil, false},
		{"request not a number", `{"NumericLessThan":{"n:n":"10"}}`, ctx("n:n", "five"), false},
		{"policy not a number", `{"NumericLessThan":{"n:n":"ten"}}`, ctx("n:n", "5"), false},
		{"policy not a number, negated", `{"NumericNotEquals":{"n:n":"ten"}}`, ctx("n:n", "5"), false},
	})
}

func TestDateOperators(t *testing.T) {
	runConditionCases(t, []conditionCase{
		{"greater than", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, ctx("aws:TokenIssueTime", "2020-06-01T00:00:00Z"), true},
		{"greater than, earlier", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, ctx("aws:TokenIssueTime", "2019-06-01T00:00:00Z"), false},
		{"missing", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, nil, false},
		{"equals across zones", `{"DateEquals":{"aws:CurrentTime":"2020-01-01T01:00:00+01:00"}}`, ctx("aws:CurrentTime", "2020-01-01T00:00:00Z"), true},
		{"equals fraction", `{"DateEquals":{"aws:CurrentTime":"2020-01-01T00:00:00.000Z"}}`, ctx("aws:CurrentTime", "2020-01-01T00:00:00Z"), true},
		{"not equals", `{"DateNotEquals":{"aws:CurrentTime":"2020-01-01"}}`, ctx("aws:CurrentTime", "2020-01-02T00:00:00Z"), true},
		{"not equals same day start", `{"DateNotEquals":{"aws:CurrentTime":"2020-01-01"}}`, ctx("aws:CurrentTime", "2020-01-01T00:00:00Z"), false},
		{"less than date only", `{"DateLessThan":{"aws:CurrentTime":"2021-01-01"}}`, ctx("aws:CurrentTime", "2020-12-31T23:59:59Z"), true},
		{"less than equals", `{"DateLessThanEquals":{"aws:CurrentTime":"2021-01-01T00:00:00Z"}}`, ctx("aws:CurrentTime", "2021-01-01T00:00:00Z"), true},
		{"greater than equals", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2021-01-01T00:00:00Z"}}`, ctx("aws:CurrentTime", "2020-01-01T00:00:00Z"), false},
		{"epoch policy value", `{"DateGreaterThan":{"aws:EpochTime":1577836800}}`, ctx("aws:EpochTime", "1577836801"), true},
		{"epoch against ISO", `{"DateLessThan":{"aws:CurrentTime":"1577836800"}}`, ctx("aws:CurrentTime", "2019-12-31T23:59:59Z"), true},
		{"minutes precision", `{"DateEquals":{"aws:CurrentTime":"2020-01-01T10:30Z"}}`, ctx("aws:CurrentTime", "2020-01-01T10:30:00Z"), true},
		{"lower-case designators", `{"DateEquals":{"aws:CurrentTime":"2020-01-01t10:30:00z"}}`, ctx("aws:CurrentTime", "2020-01-01T10:30:00Z"), true},
		{"request not a date", `{"DateLessThan":{"aws:CurrentTime":"2021-01-01"}}`, ctx("aws:CurrentTime", "soon"), false},
	})
}

func TestBoolBinaryNull(t *testing.T) {
	runConditionCases(t, []conditionCase{
		{"bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx("aws:SecureTransport", "true"), true},
		{"bool json true", `{"Bool":{"aws:SecureTransport":true}}`, ctx("aws:SecureTransport", "true"), true},
		{"bool case", `{"Bool":{"aws:SecureTransport":"TRUE"}}`, ctx("aws:SecureTransport", "true"), true},
		{"bool false", `{"Bool":{"aws:SecureTransport":"false"}}`, ctx("aws:SecureTransport", "true"), false},
		{"bool missing", `{"Bool":{"aws:SecureTransport":"false"}}`, nil, false},
		{"bool missing ifexists", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, nil, true},
		{"binary", `{"BinaryEquals":{"k:b":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctx("k:b", "BinaryValueInBase64"), true},
		{"binary as base64", `{"BinaryEquals":{"k:b":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctx("k:b", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="), true},
		{"binary other", `{"BinaryEquals":{"k:b":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctx("k:b", "other"), false},
		{"null true, absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true},
		{"null true, present", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctx("aws:TokenIssueTime", "2020-01-01T00:00:00Z"), false},
		{"null false, present", `{"Null":{"aws:TokenIssueTime":"false"}}`, ctx("aws:TokenIssueTime", "2020-01-01T00:00:00Z"), true},
		{"null false, absent", `{"Null":{"aws:TokenIssueTime":false}}`, nil, false},
		{"null, empty list is absent", `{"Null":{"aws:TagKeys":"true"}}`, map[string][]string{"aws:TagKeys": nil}, true},
	})
}

func TestIPOperators(t *testing.T) {
	runConditionCases(t, []conditionCase{
		{"v4 in range", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.113.7"), true},
		{"v4 out of range", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.114.7"), false},
		{"v4 bare address is /32", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, ctx("aws:SourceIp", "203.0.113.7"), true},
		{"v4 bare address, other", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, ctx("aws:SourceIp", "203.0.113.8"), false},
		{"v4 host bits set", `{"IpAddress":{"aws:SourceIp":"203.0.113.9/24"}}`, ctx("aws:SourceIp", "203.0.113.200"), true},
		{"v6 in range", `{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}`, ctx("aws:SourceIp", "2001:db8:1234:5678::1"), true},
		{"v6 out of range", `{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}`, ctx("aws:SourceIp", "2001:db8:1234:5679::1"), false},
		{"v4 caller, v6 range", `{"IpAddress":{"aws:SourceIp":"2001:DB8::/32"}}`, ctx("aws:SourceIp", "10.0.0.1"), false},
		{"mixed list", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8::/32"]}}`, ctx("aws:SourceIp", "2001:db8::5"), true},
		{"v4-mapped caller", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx("aws:SourceIp", "::ffff:10.1.2.3"), true},
		{"missing", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, false},
		{"not ip", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx("aws:SourceIp", "192.168.0.1"), true},
		{"not ip, inside", `{"NotIpAddress":{"aws:SourceIp":["192.168.0.0/16","10.0.0.0/8"]}}`, ctx("aws:SourceIp", "10.9.9.9"), false},
		{"not ip, missing", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, true},
		{"caller not an address", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, ctx("aws:SourceIp", "eks.amazonaws.com"), false},
	})
}

func TestARNOperators(t *testing.T) {
	runConditionCases(t, []conditionCase{
		{"equals", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:topic"}}`, ctx("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic"), true},
		{"equals takes wildcards", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:111122223333:*"}}`, ctx("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic"), true},
		{"like", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin-*"}}`, ctx("aws:PrincipalArn", "arn:aws:iam::111122223333:role/admin-x"), true},
		{"like stays in its segment", `{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`, ctx("aws:SourceArn", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"), false},
		{"string like crosses segments", `{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`, ctx("aws:SourceArn", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"), true},
		{"not like", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin-*"}}`, ctx("aws:PrincipalArn", "arn:aws:iam::111122223333:role/dev"), true},
		{"not equals, same", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/dev"}}`, ctx("aws:PrincipalArn", "arn:aws:iam::111122223333:role/dev"), false},
		{"not like missing", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:*"}}`, nil, true},
		{"like missing", `{"ArnLike":{"aws:SourceArn":"arn:aws:*"}}`, nil, false},
		{"case-sensitive", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:Topic"}}`, ctx("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic"), false},
	})
}

func TestIfExists(t *testing.T) {
	runConditionCases(t, []conditionCase{
		{"absent", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*"]}}`, nil, true},
		{"present, matching", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*"]}}`, ctx("ec2:InstanceType", "t2.micro"), true},
		{"present, not matching", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*"]}}`, ctx("ec2:InstanceType", "m5.large"), false},
		{"negated, absent", `{"StringNotEqualsIfExists":{"aws:RequestTag/env":"prod"}}`, nil, true},
		{"negated, present equal", `{"StringNotEqualsIfExists":{"aws:RequestTag/env":"prod"}}`, ctx("aws:RequestTag/env", "prod"), false},
		{"numeric absent", `{"NumericLessThanIfExists":{"n:n":"1"}}`, nil, true},
		{"ip absent", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, true},
		{"ip present outside", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx("aws:SourceIp", "11.0.0.1"), false},
		{"date absent", `{"DateGreaterThanIfExists":{"aws:TokenIssueTime":"2020-01-01"}}`, nil, true},
		{"arn absent", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:*"}}`, nil, true},
		{"for any value absent", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"a"}}`, nil, true},
	})
}

func TestSetQualifiers(t *testing.T) {
	tags := func(keys ...string) map[string][]string { return map[string][]string{"aws:TagKeys": keys} }
	runConditionCases(t, []conditionCase{
		// ForAllValues: every request value matches one policy value.
		{"all, subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team","cost"]}}`, tags("env", "team"), true},
		{"all, one outside", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, tags("env", "owner"), false},
		{"all, absent key is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, nil, true},
		{"all, empty set is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, tags(), true},
		{"all, like", `{"ForAllValues:StringLike":{"aws:TagKeys":"Created*"}}`, tags("CreatedBy", "CreatedAt"), true},
		{"all, like one outside", `{"ForAllValues:StringLike":{"aws:TagKeys":"Created*"}}`, tags("CreatedBy", "Owner"), false},
		// ForAnyValue: one request value matches one policy value.
		{"any, one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`, tags("owner", "team"), true},
		{"any, none", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`, tags("owner"), false},
		{"any, absent key is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, nil, false},
		{"any, empty set is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, tags(), false},
		// Negated operators apply to each request value.
		{"all not equals, none listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret","admin"]}}`, tags("env", "team"), true},
		{"all not equals, one listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret","admin"]}}`, tags("env", "admin"), false},
		{"all not equals, absent", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, nil, true},
		{"any not equals, one outside", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env","team"]}}`, tags("env", "owner"), true},
		{"any not equals, all listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env","team"]}}`, tags("env", "team"), false},
		{"any not equals, absent", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, nil, false},
		{"any not like", `{"ForAnyValue:StringNotLike":{"aws:TagKeys":"env*"}}`, tags("envA", "x"), true},
		{"all numeric", `{"ForAllValues:NumericLessThan":{"k:n":"10"}}`, map[string][]string{"k:n": {"1", "2", "9"}}, true},
		{"all numeric, one big", `{"ForAllValues:NumericLessThan":{"k:n":"10"}}`, map[string][]string{"k:n": {"1", "20"}}, false},
		{"any ip", `{"ForAnyValue:IpAddress":{"k:ips":"10.0.0.0/8"}}`, map[string][]string{"k:ips": {"1.1.1.1", "10.2.3.4"}}, true},
		{"all arn", `{"ForAllValues:ArnLike":{"k:arns":"arn:aws:iam::111122223333:*"}}`, map[string][]string{"k:arns": {"arn:aws:iam::111122223333:role/a", "arn:aws:iam::444455556666:role/a"}}, false},
		{"qualifier name ignores case", `{"forallvalues:stringequals":{"aws:TagKeys":["env"]}}`, tags("env"), true},
	})
}

func TestResourceTagConditions(t *testing.T) {
	calls := 0
	r := &Request{
		Action:   "eks:DeleteCluster",
		Resource: "arn:aws:eks:us-east-1:111122223333:cluster/prod",
		ResourceTags: func() map[string]string {
			calls++
			return map[string]string{"Team": "blue", "env": "prod"}
		},
	}
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"eks:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue","eks:ResourceTag/Env":"prod"}}},
		{"Effect":"Deny","Action":"eks:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"dev"}}}]}`
	d := mustParse(t, doc, Identity)
	if got := d.Evaluate(r); got != Allow {
		t.Errorf("Evaluate = %v, want Allow", got)
	}
	if got := d.Evaluate(r); got != Allow {
		t.Errorf("second Evaluate = %v, want Allow", got)
	}
	if calls != 1 {
		t.Errorf("ResourceTags called %d times, want once", calls)
	}

	lazy := &Request{Action: "eks:DescribeCluster", Resource: "*", ResourceTags: func() map[string]string {
		t.Error("ResourceTags called for a policy that does not ask")
		return nil
	}}
	mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Identity).Evaluate(lazy)

	noTags := &Request{Action: "eks:DeleteCluster", Resource: "*"}
	if got := d.Evaluate(noTags); got != NotApplicable {
		t.Errorf("Evaluate without tags = %v, want NotApplicable", got)
	}
}

func TestPrincipalDerivedKeys(t *testing.T) {
	user := Principal{ARN: "arn:aws:iam::111122223333:user/dev/bob", Account: "111122223333", UserID: "AIDAEXAMPLE", Username: "bob", Tags: map[string]string{"team": "blue"}}
	session := Principal{ARN: "arn:aws:sts::111122223333:assumed-role/admin/alice", Account: "111122223333", UserID: "AROAEXAMPLE:alice", RoleARN: "arn:aws:iam::111122223333:role/ops/admin"}
	root := Principal{ARN: "arn:aws:iam::111122223333:root", Account: "111122223333"}
	service := Principal{Service: "eks.amazonaws.com"}
	tests := []struct {
		name  string
		p     Principal
		block string
		ctx   map[string][]string
		want  bool
	}{
		{"user arn", user, `{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/dev/bob"}}`, nil, true},
		{"session principal arn is the role", session, `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/ops/admin"}}`, nil, true},
		{"session principal arn is not the session", session, `{"StringEquals":{"aws:PrincipalArn":"arn:aws:sts::111122223333:assumed-role/admin/alice"}}`, nil, false},
		{"session without RoleARN", Principal{ARN: "arn:aws:sts::111122223333:assumed-role/admin/alice"}, `{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/admin","aws:PrincipalAccount":"111122223333"}}`, nil, true},
		{"account", user, `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`, nil, true},
		{"username", user, `{"StringEquals":{"aws:username":"bob"}}`, nil, true},
		{"username absent for sessions", session, `{"Null":{"aws:username":"true"}}`, nil, true},
		{"userid", session, `{"StringLike":{"aws:userid":"AROAEXAMPLE:*"}}`, nil, true},
		{"root userid is the account", root, `{"StringEquals":{"aws:userid":"111122223333"}}`, nil, true},
		{"type user", user, `{"StringEquals":{"aws:PrincipalType":"User"}}`, nil, true},
		{"type role", session, `{"StringEquals":{"aws:PrincipalType":"AssumedRole"}}`, nil, true},
		{"type root", root, `{"StringEquals":{"aws:PrincipalType":"Account"}}`, nil, true},
		{"principal tag", user, `{"StringEquals":{"aws:PrincipalTag/Team":"blue"}}`, nil, true},
		{"principal tag absent", session, `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`, nil, false},
		{"service name", service, `{"StringEquals":{"aws:PrincipalServiceName":"eks.amazonaws.com"},"Bool":{"aws:PrincipalIsAWSService":"true"}}`, nil, true},
		{"not a service", user, `{"Bool":{"aws:PrincipalIsAWSService":"false"}}`, nil, true},
		{"context wins", user, `{"StringEquals":{"aws:username":"mallory"}}`, ctx("aws:username", "mallory"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := conditionHolds(t, tt.block, &Request{Principal: tt.p, Context: tt.ctx}); got != tt.want {
				t.Errorf("%s = %v, want %v", tt.block, got, tt.want)
			}
		})
	}
}
