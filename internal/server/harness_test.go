package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/server"
)

// testServer is one keks serving the APIs, without reconcilers, for the
// whole package: clients are real aws-sdk-go-v2 clients signing with SigV4.
var testServer struct {
	models *server.Models
	http   *http.Client
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "keks-api-test-")
	if err != nil {
		panic(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan *server.Models, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Config{DataDir: dir, Listen: addr, Region: "us-east-1", NoReconcile: true,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Started: func(m *server.Models) { started <- m }})
	}()
	select {
	case testServer.models = <-started:
	case err := <-done:
		panic(fmt.Sprintf("keks did not start: %v", err))
	case <-time.After(60 * time.Second):
		panic("keks did not start in 60s")
	}
	pem, err := os.ReadFile(testServer.models.CAFile)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	testServer.http = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	code := m.Run()
	cancel()
	<-done
	_ = os.RemoveAll(dir)
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
