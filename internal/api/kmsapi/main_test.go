package kmsapi

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/kms"
	"github.com/keksdev/keks/internal/store"
)

// The wire tests serve KMS through the front door (SigV4 verification,
// authorization, dispatch) over a model on an embedded etcd, and talk to
// it with aws-sdk-go-v2's KMS client.
const (
	testAccount   = "123456789012"
	testRegion    = "us-east-1"
	testAccessKey = "AKIAKMSAPITEST000001"
	testSecret    = "kms-api-test-secret-kms-api-test-secret0"
)

var front struct {
	store  *store.Store
	model  *kms.Service
	router *awsproto.Router
	server *httptest.Server
	authz  *recordingAuthorizer
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "keks-kmsapi-test-")
	if err != nil {
		panic(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	front.store, err = store.OpenEmbedded(ctx, dir, log)
	cancel()
	if err != nil {
		panic(err)
	}
	master := make([]byte, kms.MasterKeySize)
	_, _ = rand.Read(master)
	front.model = &kms.Service{Store: front.store, MasterKey: master}
	front.authz = &recordingAuthorizer{}
	front.router = &awsproto.Router{Keys: staticKeys{}, Authz: front.authz, Log: log, Now: time.Now,
		Services: map[string]*awsproto.Service{"kms": (&Handler{KMS: front.model}).Service()}}
	front.server = httptest.NewServer(front.router)
	code := m.Run()
	front.server.Close()
	front.store.Close()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// staticKeys knows one access key, of the test account's admin.
type staticKeys struct{}

func (staticKeys) ResolveAccessKey(_ context.Context, id string) (string, string, awsproto.Principal, error) {
	if id != testAccessKey {
		return "", "", awsproto.Principal{}, awserr.Errorf(awserr.CodeInvalidClientTokenID, "The security token included in the request is invalid.")
	}
	return testSecret, "", awsproto.Principal{Account: testAccount, ARN: "arn:aws:iam::" + testAccount + ":user/admin", UserID: "AIDATEST", AccessKeyID: id}, nil
}

// recordingAuthorizer allows every call and keeps the checks it was asked
// about, so tests see what the front door would have decided on.
type recordingAuthorizer struct {
	mu   sync.Mutex
	last map[string][]awsproto.Check // by the operation's first action
}

func (a *recordingAuthorizer) Authorize(_ context.Context, _ *awsproto.Call, _ *http.Request, _ string, checks []awsproto.Check) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last == nil {
		a.last = map[string][]awsproto.Check{}
	}
	a.last[checks[0].Action] = checks
	return nil
}

func (a *recordingAuthorizer) checksOf(action string) []awsproto.Check {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last[action]
}

// client is an SDK KMS client of the test server, in region.
func client(region string) *awskms.Client {
	return awskms.NewFromConfig(aws.Config{Region: region, BaseEndpoint: aws.String(front.server.URL), HTTPClient: front.server.Client(),
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecret, ""), RetryMaxAttempts: 1})
}

// testClient is a client of a region of the test's own, so that tests
// that list do not see each other's keys.
func testClient(t *testing.T) *awskms.Client {
	t.Helper()
	regionSeq.Lock()
	defer regionSeq.Unlock()
	regionSeq.n++
	return client("test-" + string(rune('a'+regionSeq.n%26)) + string(rune('a'+regionSeq.n/26)) + "-1")
}

var regionSeq struct {
	sync.Mutex
	n int
}
