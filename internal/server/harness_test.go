package server_test

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/server"
	"github.com/keksdev/keks/internal/server/servertest"
)

// testServer is one keks serving the APIs, without reconcilers, for the
// whole package: clients are real aws-sdk-go-v2 clients signing with SigV4.
var testServer struct {
	models *server.Models
	http   *http.Client
}

func TestMain(m *testing.M) {
	// With an agents listener: the operator calls on hosts and tokens are tested against it.
	s, err := servertest.StartWith("keks-api-test-", func(c *server.Config) { c.AgentsListen = "127.0.0.1:0" })
	if err != nil {
		panic(err)
	}
	testServer.models, testServer.http = s.Models, s.HTTP
	code := m.Run()
	s.Stop()
	os.Exit(code)
}

// awsConfig is an SDK configuration for keks with the admin user's key,
// or with the given key.
func awsConfig(keyAndSecret ...string) aws.Config {
	b := testServer.models.Bootstrap
	id, secret, token := b.AccessKeyID, b.SecretAccessKey, ""
	if len(keyAndSecret) >= 2 {
		id, secret = keyAndSecret[0], keyAndSecret[1]
	}
	if len(keyAndSecret) == 3 {
		token = keyAndSecret[2]
	}
	return aws.Config{
		Region: "us-east-1", HTTPClient: testServer.http, BaseEndpoint: aws.String(testServer.models.Endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider(id, secret, token),
		RetryMaxAttempts: 1,
	}
}

func keksDefaultVersion() string { return kubeversions.Default }

func timeNow() time.Time { return time.Now() }
