package server_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestEveryOperationRefusesACallerWithoutRights sends each operation's
// fuzz seed (a valid request) signed by a user with no policy: every one
// is refused with its service's access-denied error, and nothing changes.
// Only sts:GetCallerIdentity, which needs no permission in AWS, is served.
func TestEveryOperationRefusesACallerWithoutRights(t *testing.T) {
	ctx := context.Background()
	admin := iam.NewFromConfig(awsConfig())
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("authz-nobody")}); err != nil {
		t.Fatal(err)
	}
	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("authz-nobody")})
	if err != nil {
		t.Fatal(err)
	}
	nobody := &aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}
	vars := fuzzVars(t)
	expect := func(name string, c *fuzzCall, code string) {
		t.Helper()
		c.signer = nobody
		rec := c.check(t) // also: AWS-shaped, and a refused call changed nothing
		if got := deniedCode(c.wire, rec); rec.Code != http.StatusForbidden || got != code {
			t.Errorf("%s: %d %q, want 403 %s: %s", name, rec.Code, got, code, rec.Body)
		}
	}
	for i, o := range eksOps {
		c, _ := eksCall(vars, uint8(i), o.label1, o.label2, o.query, []byte(o.body), modeSigned)
		expect("eks "+o.name, c, "AccessDeniedException")
	}
	for i, o := range ecrOps {
		expect("ecr "+o.name, ecrCall(vars, uint8(i), []byte(o.body), modeSigned), "AccessDeniedException")
	}
	for i, o := range logsOps {
		expect("logs "+o.name, logsCall(logsVars(t), uint8(i), []byte(o.body), modeSigned), "AccessDeniedException")
	}
	for _, s := range []struct {
		service, version, code string
		w                      wire
		ops                    []queryOp
	}{
		{"iam", "2010-05-08", "AccessDenied", wireQuery, iamOps},
		{"iam", "2010-05-08", "AccessDenied", wireQuery, iamOpsSeeds(t, "authz-")},
		{"sts", "2011-06-15", "AccessDenied", wireQuery, stsOps},
		{"ec2", "2016-11-15", "UnauthorizedOperation", wireEC2, ec2Ops},
		{"cloudformation", "2010-05-15", "AccessDenied", wireQuery, cfnOps},
		{"autoscaling", "2011-01-01", "AccessDenied", wireQuery, asOps},
		{"autoscaling", "2011-01-01", "AccessDenied", wireQuery, asWrites},
	} {
		for i, o := range s.ops {
			c := queryCall(vars, s.service, s.version, s.w, s.ops, uint8(i), o.form, "", modeSigned)
			if o.action == "GetCallerIdentity" {
				c.signer = nobody
				if rec := c.check(t); rec.Code != http.StatusOK {
					t.Errorf("GetCallerIdentity needs no permission, got %d %s", rec.Code, rec.Body)
				}
				continue
			}
			expect(s.service+" "+o.action, c, s.code)
		}
	}
}

// deniedCode reads the error code of an answer in its protocol's shape.
func deniedCode(w wire, rec *httptest.ResponseRecorder) string {
	switch w {
	case wireRESTJSON:
		return rec.Header().Get("x-amzn-ErrorType")
	case wireJSON11:
		var e struct {
			Type string `json:"__type"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		return e.Type
	case wireEC2:
		var e struct {
			Errors struct{ Error struct{ Code string } }
		}
		_ = xml.Unmarshal(rec.Body.Bytes(), &e)
		return e.Errors.Error.Code
	default:
		var e struct{ Error struct{ Code string } }
		_ = xml.Unmarshal(rec.Body.Bytes(), &e)
		return e.Error.Code
	}
}
