package ssmapi

import (
	"context"
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
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ssm"
	"github.com/keksdev/keks/internal/store"
)

// The wire tests serve SSM through the front door (SigV4 verification,
// authorization, dispatch) over a model on an embedded etcd, and talk to
// it with aws-sdk-go-v2's SSM client.
const (
	testAccount   = "123456789012"
	testAccessKey = "AKIASSMAPITEST000001"
	testSecret    = "ssm-api-test-secret-ssm-api-test-secret0"
)

var front struct {
	store  *store.Store
	server *httptest.Server
	authz  *recordingAuthorizer
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "keks-ssmapi-test-")
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
	front.authz = &recordingAuthorizer{}
	router := &awsproto.Router{Keys: staticKeys{}, Authz: front.authz, Log: log, Now: time.Now,
		Services: map[string]*awsproto.Service{"ssm": (&Handler{SSM: &ssm.Service{Store: front.store}}).Service()}}
	front.server = httptest.NewServer(router)
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
// about, by the operation's action.
type recordingAuthorizer struct {
	mu   sync.Mutex
	last map[string][]awsproto.Check
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

var regionSeq struct {
	sync.Mutex
	n int
}

// testClient is an SDK client of a region of the test's own, so that
// tests that list do not see each other's parameters.
func testClient(t *testing.T) (*awsssm.Client, string) {
	t.Helper()
	regionSeq.Lock()
	regionSeq.n++
	region := "test-" + string(rune('a'+regionSeq.n%26)) + string(rune('a'+regionSeq.n/26)) + "-1"
	regionSeq.Unlock()
	return awsssm.NewFromConfig(aws.Config{Region: region, BaseEndpoint: aws.String(front.server.URL), HTTPClient: front.server.Client(),
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecret, ""), RetryMaxAttempts: 1}), region
}
