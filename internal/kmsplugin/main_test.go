package kmsplugin

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/api/kmsapi"
	"github.com/keksdev/keks/internal/authz"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/kms"
	"github.com/keksdev/keks/internal/store"
)

// The tests run the plugin against keks's KMS behind keks's front door
// (SigV4, keks's authorizer, key policies), served over TLS by httptest,
// with IAM and KMS over one embedded store for the package.
var front struct {
	iam      *iam.Service
	kms      *kms.Service
	srv      *httptest.Server
	caFile   string
	account  string
	dir      string
	sequence atomic.Int64
}

const testRegion = "us-east-1"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "keks-kmsplugin-test-")
	if err != nil {
		panic(err)
	}
	front.dir = dir
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	st, err := store.OpenEmbedded(ctx, filepath.Join(dir, "store"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		panic(err)
	}
	front.iam = &iam.Service{Store: st, Now: time.Now}
	acct, err := front.iam.Account(ctx)
	cancel()
	if err != nil {
		panic(err)
	}
	front.account = acct.ID
	master := make([]byte, kms.MasterKeySize)
	_, _ = rand.Read(master)
	front.kms = &kms.Service{Store: st, MasterKey: master}
	front.srv = httptest.NewTLSServer(&awsproto.Router{Keys: front.iam, Authz: &authz.Authorizer{IAM: front.iam, Now: time.Now}, Now: time.Now,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Services: map[string]*awsproto.Service{"kms": (&kmsapi.Handler{KMS: front.kms}).Service()}})
	front.caFile = filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(front.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: front.srv.Certificate().Raw}), 0o644); err != nil {
		panic(err)
	}
	code := m.Run()
	front.srv.Close()
	st.Close()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// clusterFixture is what keks's control plane gives a plugin: a key, a
// cluster role, the role's session file and the plugin's configuration.
type clusterFixture struct {
	key        *kms.Key
	role       *iam.Role
	dir        string
	configPath string
	cfg        Config
}

// newCluster makes a key and a cluster role, allowed the key's use when
// allowed is set, and a configuration with a fresh session of the role.
func newCluster(t *testing.T, allowed bool) *clusterFixture {
	t.Helper()
	ctx := context.Background()
	n := front.sequence.Add(1)
	key, err := front.kms.CreateKey(ctx, kms.Scope{Region: testRegion, Account: front.account}, kms.CreateKeyInput{Description: "secrets"})
	if err != nil {
		t.Fatal(err)
	}
	role, err := front.iam.CreateRole(ctx, iam.Role{Name: "cluster-role-" + string(rune('a'+n)),
		AssumeRolePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`})
	if err != nil {
		t.Fatal(err)
	}
	f := &clusterFixture{key: key, role: role, dir: t.TempDir()}
	if allowed {
		f.allow(t)
	}
	f.cfg = Config{Socket: filepath.Join(f.dir, "kms.sock"), KeyARN: key.ARN, Region: testRegion, Endpoint: front.srv.URL,
		CABundle: front.caFile, SessionFile: filepath.Join(f.dir, "session.json")}
	f.configPath = filepath.Join(f.dir, "kms-plugin.json")
	f.writeConfig(t)
	f.renewSession(t)
	return f
}

// allow gives the cluster role kms:Encrypt and kms:Decrypt on the key.
func (f *clusterFixture) allow(t *testing.T) {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"` + f.key.ARN + `"}]}`
	if err := front.iam.PutInlinePolicy(context.Background(), iam.RoleEntity, f.role.Name, "secrets-encryption", doc); err != nil {
		t.Fatal(err)
	}
}

func (f *clusterFixture) writeConfig(t *testing.T) {
	t.Helper()
	data, _ := json.Marshal(f.cfg)
	if err := writeFileAtomic(f.configPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// renewSession writes a fresh session of the cluster role, as keks does.
func (f *clusterFixture) renewSession(t *testing.T) {
	t.Helper()
	creds, err := front.iam.IssueRoleSession(context.Background(), f.role.ARN, "kms-plugin-test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSession(f.cfg.SessionFile, Session{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
		SessionToken: creds.SessionToken, Expiration: creds.Expiration}); err != nil {
		t.Fatal(err)
	}
}

// service is the fixture's plugin service, without the socket, and
// without its answers' caching: each Status asks KMS.
func (f *clusterFixture) service() *Service {
	s := NewService(f.configPath, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.healthyFor, s.unhealthyFor = 0, 0
	return s
}
