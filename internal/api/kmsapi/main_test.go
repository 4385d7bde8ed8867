package kmsapi

import (
	"crypto/rand"
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
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

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
	authz  *awsprototest.RecordingAuthorizer
}

func TestMain(m *testing.M) {
	storetest.Main(m, func(st *store.Store) func() {
		front.store = st
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		master := make([]byte, kms.MasterKeySize)
		_, _ = rand.Read(master)
		front.model = &kms.Service{Store: front.store, MasterKey: master}
		front.authz = &awsprototest.RecordingAuthorizer{}
		front.router = &awsproto.Router{Keys: awsprototest.Keys{ID: testAccessKey, Secret: testSecret, Account: testAccount}, Authz: front.authz, Log: log, Now: time.Now,
			Services: map[string]*awsproto.Service{"kms": (&Handler{KMS: front.model}).Service()}}
		front.server = httptest.NewServer(front.router)
		return front.server.Close
	})
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
