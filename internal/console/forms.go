package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// What the console's forms share: role choices, key=value lines.

// computeRole is a role offered in a form's select.
type computeRole struct{ Name, ARN string }

// rolesTrustingService lists the roles whose trust policy lets service assume
// them. The error (say, no iam:ListRoles) makes the form a text field.
func rolesTrustingService(ctx context.Context, cl *awsClients, service string) ([]computeRole, error) {
	var roles []computeRole
	p := iam.NewListRolesPaginator(cl.IAM, &iam.ListRolesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range out.Roles {
			if trustPolicyAllows(aws.ToString(r.AssumeRolePolicyDocument), service) {
				roles = append(roles, computeRole{Name: aws.ToString(r.RoleName), ARN: aws.ToString(r.Arn)})
			}
		}
	}
	return roles, nil
}

// trustPolicyAllows is whether a trust policy (URL-encoded as IAM returns it) has an
// Allow statement whose Service principal is service.
func trustPolicyAllows(doc, service string) bool {
	if d, err := url.QueryUnescape(doc); err == nil {
		doc = d
	}
	var policy struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &policy) != nil {
		return false
	}
	type statement struct {
		Effect    string
		Principal json.RawMessage
	}
	var stmts []statement
	if json.Unmarshal(policy.Statement, &stmts) != nil {
		var one statement
		if json.Unmarshal(policy.Statement, &one) != nil {
			return false
		}
		stmts = []statement{one}
	}
	for _, st := range stmts {
		if st.Effect != "Allow" {
			continue
		}
		var p struct{ Service json.RawMessage }
		if json.Unmarshal(st.Principal, &p) != nil || p.Service == nil {
			continue
		}
		var services []string
		if json.Unmarshal(p.Service, &services) != nil {
			var one string
			if json.Unmarshal(p.Service, &one) != nil {
				continue
			}
			services = []string{one}
		}
		for _, s := range services {
			if s == service {
				return true
			}
		}
	}
	return false
}

// parseKeyValueLines reads key=value lines (labels, tags); blank lines are skipped.
func parseKeyValueLines(text, what string) (map[string]string, error) {
	pairs := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, badInput(fmt.Sprintf("%s, line %d: %q is not key=value.", what, i+1, line))
		}
		pairs[k] = v
	}
	return pairs, nil
}

// keyValueLines writes pairs as key=value lines, sorted.
func keyValueLines(m map[string]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(m) {
		fmt.Fprintf(&b, "%s=%s\n", k, m[k])
	}
	return b.String()
}
