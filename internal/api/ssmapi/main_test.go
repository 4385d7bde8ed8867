package ssmapi

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/awsproto/awsprototest"

	"github.com/keksdev/keks/internal/store/storetest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"

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
	authz  *awsprototest.RecordingAuthorizer
}

func TestMain(m *testing.M) {
	storetest.Main(m, func(st *store.Store) func() {
		front.store = st
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		front.authz = &awsprototest.RecordingAuthorizer{}
		router := &awsproto.Router{Keys: awsprototest.Keys{ID: testAccessKey, Secret: testSecret, Account: testAccount}, Authz: front.authz, Log: log, Now: time.Now,
			Services: map[string]*awsproto.Service{"ssm": (&Handler{SSM: &ssm.Service{Store: front.store}}).Service()}}
		front.server = httptest.NewServer(router)
		return front.server.Close
	})
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
