package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keksdev/keks/internal/server/servertest"
)

// BenchmarkConsolePages measures the console's pages server-side with 50
// clusters: the cluster list (ListClusters and 50 DescribeCluster calls
// through keks's front door, as the signed-in user) and a cluster's
// Overview. The bar: under 100 ms a page.
func BenchmarkConsolePages(b *testing.B) {
	s, err := servertest.Start("keks-bench-console-")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	ctx := context.Background()
	k := s.Models.Bootstrap
	cfg := aws.Config{Region: "us-east-1", HTTPClient: s.HTTP, BaseEndpoint: aws.String(s.Models.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, "")}
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bench-cluster"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		b.Fatal(err)
	}
	subnets, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for _, sn := range subnets.Subnets {
		ids = append(ids, aws.ToString(sn.SubnetId))
	}
	api := eks.NewFromConfig(cfg)
	for i := range 50 {
		if _, err := api.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(fmt.Sprintf("bench-%02d", i)), RoleArn: role.Role.Arn,
			ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: ids}}); err != nil {
			b.Fatal(err)
		}
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Transport: s.HTTP.Transport}
	resp, err := browser.PostForm(s.Models.Endpoint+"/console/signin", url.Values{"method": {"key"}, "accesskeyid": {k.AccessKeyID}, "secret": {k.SecretAccessKey}})
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("sign in: %v %v", err, resp)
	}
	resp.Body.Close()
	for _, page := range []struct{ name, path, want string }{
		{"list", "/console/clusters", "bench-49"},
		{"overview", "/console/clusters/bench-07", "API server endpoint"},
	} {
		b.Run(page.name, func(b *testing.B) {
			get := func() {
				resp, err := browser.Get(s.Models.Endpoint + page.path)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), page.want) {
					b.Fatalf("%s: %d %.300s", page.path, resp.StatusCode, body)
				}
			}
			get() // the session's credentials and templates are made once
			n := max(b.N, 20)
			start := time.Now()
			for range n {
				get()
			}
			per := time.Since(start) / time.Duration(n)
			b.ReportMetric(float64(per.Microseconds())/1000, "ms/page")
			b.Logf("%s with 50 clusters: %s a page (bar: 100ms)", page.path, per.Round(100*time.Microsecond))
		})
	}
}
