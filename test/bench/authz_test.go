package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/keksdev/keks/internal/api/ec2api"
	"github.com/keksdev/keks/internal/authz"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/server"
	"github.com/keksdev/keks/internal/server/servertest"
)

// BenchmarkAuthorization prints what authorizing costs a request: the
// latency of one cheap EC2 call (DescribeAvailabilityZones) through the
// front door without an authorizer, and with one for the admin user
// (AdministratorAccess), and for a user whose rights come from ten
// policies with conditions, through a group.
func BenchmarkAuthorization(b *testing.B) {
	models, stop := apiServer(b)
	defer stop()
	ctx := context.Background()
	user := func(name string, attach func(user string)) aws.Credentials {
		if _, err := models.IAM.CreateUser(ctx, name, "/", nil); err != nil {
			b.Fatal(err)
		}
		attach(name)
		k, err := models.IAM.CreateAccessKey(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		return aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret}
	}
	boot := models.Bootstrap
	admin := aws.Credentials{AccessKeyID: boot.AccessKeyID, SecretAccessKey: boot.SecretAccessKey}
	tenPolicies := user("bench-ten", func(name string) {
		for i := range 10 {
			doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":["eks:Describe*","eks:List*"],"Resource":"arn:aws:eks:*:*:cluster/team-%d-*"},
{"Effect":"Deny","Action":"ec2:Delete*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"ops-%d"}}},
{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.%d.0.0/16","127.0.0.0/8"]},"Bool":{"aws:SecureTransport":"true"}}}]}`, i, i, i)
			p, err := models.IAM.CreatePolicy(ctx, iam.Policy{Name: fmt.Sprintf("bench-%d", i), Path: "/", Document: doc})
			if err != nil {
				b.Fatal(err)
			}
			if err := models.IAM.AttachUserPolicy(ctx, name, p.ARN); err != nil {
				b.Fatal(err)
			}
		}
	})
	ec2 := (&ec2api.Handler{EC2: models.EC2}).Service()
	router := func(withAuthz bool) *awsproto.Router {
		rt := &awsproto.Router{Keys: models.IAM, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Services: map[string]*awsproto.Service{"ec2": ec2}}
		if withAuthz {
			rt.Authz = &authz.Authorizer{IAM: models.IAM, Now: time.Now}
		}
		return rt
	}
	const n = 2000
	for _, c := range []struct {
		name  string
		rt    *awsproto.Router
		creds aws.Credentials
	}{
		{"no authorizer", router(false), admin},
		{"AdministratorAccess", router(true), admin},
		{"ten policies with conditions", router(true), tenPolicies},
	} {
		lat := make([]float64, 0, n)
		for range n {
			start := time.Now()
			if code := describeZones(b, c.rt, c.creds); code != http.StatusOK {
				b.Fatalf("%s: answered %d", c.name, code)
			}
			lat = append(lat, float64(time.Since(start).Microseconds()))
		}
		p50, p99 := percentiles(lat)
		b.Logf("DescribeAvailabilityZones, %-30s p50 %5.0f µs  p99 %5.0f µs  (%d requests)", c.name+":", p50, p99, n)
	}
}

func describeZones(b *testing.B, rt *awsproto.Router, creds aws.Credentials) int {
	body := "Action=DescribeAvailabilityZones&Version=2016-11-15"
	req := httptest.NewRequest(http.MethodPost, "https://127.0.0.1:4577/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "127.0.0.1:40000"
	h := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(h[:]), "ec2", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	rt.ServeHTTP(rec, req)
	return rec.Code
}

// apiServer runs a keks serving the APIs only (no reconcilers) on a
// temporary data directory.
func apiServer(b *testing.B) (*server.Models, func()) {
	s, err := servertest.Start("keks-bench-api-")
	if err != nil {
		b.Fatal(err)
	}
	return s.Models, s.Stop
}
