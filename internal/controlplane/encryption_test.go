package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/kmsplugin"
	"github.com/keksdev/keks/internal/kubeversions"
)

const testKeyARN = "arn:aws:kms:us-east-1:123456789012:key/0b5e8f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b"

func testCluster(encrypted bool) *eks.Cluster {
	cl := &eks.Cluster{Name: "secret", UID: "7d9f4c2e-0000-4000-8000-000000000001", Region: "us-east-1",
		Spec: eks.ClusterSpec{RoleARN: "arn:aws:iam::123456789012:role/eksClusterRole", ServiceIPv4CIDR: "10.100.0.0/16", Logging: map[string]bool{}}}
	if encrypted {
		cl.Spec.EncryptionConfig = []eks.EncryptionConfig{{Resources: []string{"secrets"}, KeyARN: testKeyARN}}
	}
	return cl
}

func testController(t *testing.T, session func(ctx context.Context, roleARN, name string, d time.Duration) (*iam.Credentials, error)) *Controller {
	t.Helper()
	c, err := New(Config{DataDir: t.TempDir(), KeksURL: "https://127.0.0.1:4577", KeksCAFile: "/keks/ca.crt", KeksBinary: "/keks/bin/keks",
		RoleSession: session}, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEncryptionConfigurationFile is kube-apiserver's view: Secrets through
// keks's KMS v2 plugin first, identity after it for what was stored before.
func TestEncryptionConfigurationFile(t *testing.T) {
	var cfg struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Resources  []struct {
			Resources []string `json:"resources"`
			Providers []struct {
				KMS *struct {
					APIVersion, Name, Endpoint, Timeout string
				} `json:"kms"`
				Identity *struct{} `json:"identity"`
			} `json:"providers"`
		} `json:"resources"`
	}
	if err := yaml.UnmarshalStrict(encryptionConfiguration("/run/keks/kms/uid-a.sock"), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.APIVersion != "apiserver.config.k8s.io/v1" || cfg.Kind != "EncryptionConfiguration" || len(cfg.Resources) != 1 {
		t.Fatalf("configuration %+v", cfg)
	}
	r := cfg.Resources[0]
	if !slices.Equal(r.Resources, []string{"secrets"}) || len(r.Providers) != 2 || r.Providers[0].KMS == nil || r.Providers[1].Identity == nil {
		t.Fatalf("resources %+v", r)
	}
	k := r.Providers[0].KMS
	if k.APIVersion != "v2" || k.Name != "keks" || k.Endpoint != "unix:///run/keks/kms/uid-a.sock" || k.Timeout == "" {
		t.Fatalf("kms provider %+v", k)
	}
}

// TestEncryptedClusterLayout: a KMS plugin beside, and before, each API
// server, run by keks's binary; the API server is pointed at its
// configuration only when the cluster encrypts Secrets.
func TestEncryptedClusterLayout(t *testing.T) {
	c := testController(t, nil)
	pl := newHostPlacement(c.cfg.DataDir, testCluster(true).UID, 3, apiServerCount)
	v, _ := kubeversions.Lookup(kubeversions.Default)
	if got := planFor(pl, testCluster(false)); len(got) != len(plan(pl, "us-east-1")) {
		t.Fatalf("a cluster without encryption got %d instances", len(got))
	}
	var names []string
	address := map[string]string{}
	for _, p := range planFor(pl, testCluster(true)) {
		names = append(names, p.name)
		address[p.name] = p.address
		if p.role != RoleKMSPlugin {
			continue
		}
		spec, _ := c.host.spec(pl, c.member(pl, testCluster(true), v, p, nil))
		if spec.Path != "/keks/bin/keks" || !slices.Equal(spec.Args, []string{"kms-plugin", "--config=" + pl.File(p.name+".json")}) {
			t.Errorf("%s runs %s %v", p.name, spec.Path, spec.Args)
		}
	}
	for _, s := range []string{"a", "b"} {
		plugin, api := slices.Index(names, "kms-plugin-"+s), slices.Index(names, "kube-apiserver-"+s)
		if plugin < 0 || plugin > api {
			t.Errorf("kms-plugin-%s at %d, kube-apiserver-%s at %d: the plugin must start first", s, plugin, s, api)
		}
		if address["kms-plugin-"+s] != address["kube-apiserver-"+s] {
			t.Errorf("kms-plugin-%s is not beside kube-apiserver-%s", s, s)
		}
	}
	for _, encrypted := range []bool{false, true} {
		f := c.apiServerFlags(pl, testCluster(encrypted), plannedInstance{name: "kube-apiserver-b", address: pl.net.addr(12)})
		got, set := f["encryption-provider-config"]
		if set != encrypted || (encrypted && got != pl.File("encryption-config-b.yaml")) {
			t.Errorf("encrypted=%v: --encryption-provider-config=%q (set %v)", encrypted, got, set)
		}
	}
}

// TestEncryptionFiles: what keks writes for the plugins, owner-only, and
// the cluster role's session, renewed only when half of it is gone, kept
// with the reason when it cannot be renewed.
func TestEncryptionFiles(t *testing.T) {
	issued := 0
	var failWith error
	expiry := time.Now().Add(time.Hour)
	c := testController(t, func(_ context.Context, roleARN, name string, d time.Duration) (*iam.Credentials, error) {
		if roleARN != testCluster(true).Spec.RoleARN || name != "kms-plugin-secret" || d != time.Hour {
			t.Errorf("session of %s named %s for %s", roleARN, name, d)
		}
		if failWith != nil {
			return nil, failWith
		}
		issued++
		return &iam.Credentials{AccessKeyID: "ASIA" + strings.Repeat("X", issued), SecretAccessKey: "s", SessionToken: "t", Expiration: expiry}, nil
	})
	cl := testCluster(true)
	pl := newHostPlacement(c.cfg.DataDir, cl.UID, 0, apiServerCount)
	if err := writeEncryptionFiles(c, pl, cl); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"encryption-config-a.yaml", "encryption-config-b.yaml", "kms-plugin-a.json", "kms-plugin-b.json", kmsSessionFile} {
		st, err := os.Stat(pl.File(name))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v (mode %v); want 0600", name, err, st.Mode())
		}
	}
	data, _ := os.ReadFile(pl.File("kms-plugin-b.json"))
	var pc kmsplugin.Config
	if err := json.Unmarshal(data, &pc); err != nil {
		t.Fatal(err)
	}
	want := kmsplugin.Config{Socket: kmsSocket(cl.UID, "b"), KeyARN: testKeyARN, Region: "us-east-1", Endpoint: "https://127.0.0.1:4577",
		CABundle: "/keks/ca.crt", SessionFile: pl.File(kmsSessionFile)}
	if pc != want {
		t.Fatalf("plugin configuration %+v; want %+v", pc, want)
	}
	if yml, _ := os.ReadFile(pl.File("encryption-config-b.yaml")); !strings.Contains(string(yml), "endpoint: unix://"+kmsSocket(cl.UID, "b")+"\n") {
		t.Fatalf("API server b's configuration does not name plugin b's socket:\n%s", yml)
	}
	session := func() kmsplugin.Session {
		s, err := kmsplugin.ReadSession(pl.File(kmsSessionFile))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := session(); s.AccessKeyID != "ASIAX" || !s.Expiration.Equal(expiry) || s.Error != "" {
		t.Fatalf("session %+v", s)
	}
	if err := writeEncryptionFiles(c, pl, cl); err != nil || issued != 1 {
		t.Fatalf("a fresh session was issued again (%d sessions, %v)", issued, err)
	}

	// With less than half of it left, it is renewed; when that fails, the
	// plugins keep what they had and learn why.
	expiry = time.Now().Add(20 * time.Minute)
	if err := kmsplugin.WriteSession(pl.File(kmsSessionFile), kmsplugin.Session{AccessKeyID: "ASIAOLD", Expiration: expiry}); err != nil {
		t.Fatal(err)
	}
	failWith = errors.New("NoSuchEntity: role eksClusterRole cannot be found")
	if err := writeEncryptionFiles(c, pl, cl); err != nil {
		t.Fatal(err)
	}
	if s := session(); s.AccessKeyID != "ASIAOLD" || !strings.Contains(s.Error, "cannot be found") || !s.RetryAt.After(time.Now()) {
		t.Fatalf("session after a failed renewal %+v", s)
	}
	failWith = nil
	if err := writeEncryptionFiles(c, pl, cl); err != nil || issued != 1 {
		t.Fatalf("renewed again before its retry time (%d sessions, %v)", issued, err)
	}
	s := session()
	s.RetryAt = time.Time{}
	if err := kmsplugin.WriteSession(pl.File(kmsSessionFile), s); err != nil {
		t.Fatal(err)
	}
	if err := writeEncryptionFiles(c, pl, cl); err != nil || issued != 2 {
		t.Fatalf("not renewed (%d sessions, %v)", issued, err)
	}
	if s := session(); s.AccessKeyID != "ASIAXX" || s.Error != "" {
		t.Fatalf("renewed session %+v", s)
	}

	// A cluster without encryption gets none of it.
	plain := testCluster(false)
	plainPl := newHostPlacement(c.cfg.DataDir, plain.UID+"-plain", 0, apiServerCount)
	if err := writeEncryptionFiles(c, plainPl, plain); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(string(plainPl.dir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("files written for a cluster without encryption: %v", err)
	}
}

// TestEncryptExistingSecrets writes every Secret again, unchanged, page by
// page; one changed or deleted meanwhile needs nothing more.
func TestEncryptExistingSecrets(t *testing.T) {
	var objs []runtime.Object
	for _, ns := range []string{"default", "kube-system", "team"} {
		for _, name := range []string{"one", "two"} {
			objs = append(objs, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{"k": []byte(ns + "/" + name)}})
		}
	}
	kc := fake.NewClientset(objs...)
	var updated []string
	kc.PrependReactor("update", "secrets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		s := a.(k8stesting.UpdateAction).GetObject().(*corev1.Secret)
		updated = append(updated, s.Namespace+"/"+s.Name)
		if string(s.Data["k"]) != s.Namespace+"/"+s.Name {
			t.Errorf("%s/%s written with changed data %q", s.Namespace, s.Name, s.Data["k"])
		}
		switch s.Namespace + "/" + s.Name {
		case "team/one":
			return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "secrets"}, s.Name, errors.New("changed"))
		case "team/two":
			return true, nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, s.Name)
		}
		return false, nil, nil
	})
	n, err := encryptExistingSecrets(context.Background(), kc)
	if err != nil || n != 4 || len(updated) != 6 {
		t.Fatalf("wrote %d of %v: %v; want every Secret written, 4 of them by us", n, updated, err)
	}
	kc.PrependReactor("update", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewServiceUnavailable("KMS provider keks is not healthy")
	})
	if _, err := encryptExistingSecrets(context.Background(), kc); err == nil || !strings.Contains(err.Error(), "not healthy") {
		t.Fatalf("a failed write: %v", err)
	}
}

// writeEncryptionFiles publishes the encryption documents of a cluster's
// bundle alone, as a reconcile pass would.
func writeEncryptionFiles(c *Controller, pl hostPlacement, cl *eks.Cluster) error {
	b := newBundle()
	if err := c.addEncryptionDocs(b, pl, cl, hostPublished(pl)); err != nil {
		return err
	}
	if len(b.Documents) == 0 {
		return nil
	}
	return publishHost(pl, b)
}
