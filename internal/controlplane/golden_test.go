package controlplane

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/authn"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/fargate"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/podidentity"
)

// The golden test pins what the host runtime makes of a cluster: every
// process's command line, environment, hostname and configuration hash,
// and every file the control plane's directory holds. A changed hash rolls
// every running control plane when keks is upgraded, and a changed flag or
// file is a changed control plane, so a refactoring must leave the goldens
// as they are. `go test ./internal/controlplane -run Golden -update`
// rewrites them after an intended change.

var updateGolden = flag.Bool("update", false, "rewrite the control-plane goldens in testdata/golden")

// goldenRoot is a fixed directory: paths are part of the flags, and so of
// the configuration hashes the goldens pin. A lock file keeps concurrent
// runs (other worktrees) apart.
const goldenRoot = "/tmp/keks-controlplane-golden"

const (
	goldenUID      = "5f0c2a9e-1b7d-4c3e-9a8f-2d6e4b1c0a77"
	goldenNetIndex = 7
	goldenSecret   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

type goldenCase struct {
	name                            string
	version                         string
	logging, encryption, identityPr bool
	tier                            string
}

var goldenCases = []goldenCase{
	{name: "base-1.37", version: "1.37"},
	{name: "base-1.36", version: "1.36"},
	{name: "logging-1.37", version: "1.37", logging: true},
	{name: "encryption-1.37", version: "1.37", encryption: true},
	{name: "oidc-1.37", version: "1.37", identityPr: true},
	{name: "all-1.37", version: "1.37", logging: true, encryption: true, identityPr: true},
	{name: "all-1.36", version: "1.36", logging: true, encryption: true, identityPr: true},
	{name: "tier-4xl-1.37", version: "1.37", tier: "tier-4xl"},
}

func goldenCluster(gc goldenCase) *eks.Cluster {
	cl := &eks.Cluster{Name: "golden", UID: goldenUID, ID: "0A1B2C3D4E5F60718293A4B5C6D7E8F9", Region: "eu-west-1",
		Spec: eks.ClusterSpec{Version: gc.version, RoleARN: "arn:aws:iam::123456789012:role/eksClusterRole", ServiceIPv4CIDR: "10.100.0.0/16",
			VPCID: "vpc-0123456789abcdef0", EndpointPublicAccess: true, EndpointPrivateAccess: true, PublicAccessCIDRs: []string{"203.0.113.0/24", "0.0.0.0/0"},
			CreatorARN: "arn:aws:iam::123456789012:user/admin", BootstrapCreatorAdmin: true, Logging: map[string]bool{}},
		Status: eks.Status{OIDCIssuer: "https://198.19.255.254/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9"}}
	cl.Spec.ScalingTier = gc.tier
	if gc.logging {
		for _, t := range []string{"api", "audit", "authenticator", "controllerManager", "scheduler"} {
			cl.Spec.Logging[t] = true
		}
	}
	if gc.encryption {
		cl.Spec.EncryptionConfig = []eks.EncryptionConfig{{Resources: []string{"secrets"}, KeyARN: testKeyARN}}
	}
	if gc.identityPr {
		cl.Spec.OIDCIdentityProvider = &eks.OIDCIdentityProviderConfig{Name: "people", IssuerURL: "https://issuer.example.com/realms/people", ClientID: "kubernetes",
			UsernameClaim: "email", UsernamePrefix: "oidc:", GroupsClaim: "groups", GroupsPrefix: "oidc:",
			RequiredClaims: map[string]string{"hd": "example.com", "aud2": "k8s"}, Status: eks.IdentityProviderActive}
	}
	return cl
}

// goldenController is a controller whose every input is fixed.
func goldenController(t *testing.T, keksCA string) *Controller {
	t.Helper()
	c, err := New(Config{
		DataDir: filepath.Join(goldenRoot, "clusters"), K8s: k8sbuild.Dir(filepath.Join(goldenRoot, "k8s")),
		KeksURL: "https://127.0.0.1:4577", IssuerURL: "https://198.19.255.254", KeksCAFile: keksCA, KeksBinary: filepath.Join(goldenRoot, "bin", "keks"),
		VPCCIDR:  func(string) string { return "192.168.0.0/16" },
		STSHosts: func(context.Context) []string { return []string{"127.0.0.1:4577", "localhost:4577"} },
		Credentials: func(context.Context) ([]authn.Credential, error) {
			return []authn.Credential{{Secret: goldenSecret, Principal: awsproto.Principal{Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/admin",
				UserID: "AIDAEXAMPLE", AccessKeyID: "AKIAEXAMPLE"}}}, nil
		},
		NodeIdentities: func(context.Context, string, string) ([]string, map[string]string, error) {
			return []string{"arn:aws:iam::123456789012:role/nodes"}, map[string]string{"i-0123456789abcdef0": "ip-192-168-1-10.eu-west-1.compute.internal"}, nil
		},
		Access: func(_ context.Context, _ *eks.Cluster, id *authn.ClusterIdentity) error {
			id.AuthenticationMode = "API_AND_CONFIG_MAP"
			id.AWSAuth = &authn.AWSAuth{MapAccounts: []string{"123456789012"}}
			return nil
		},
		RoleSession: func(context.Context, string, string, time.Duration) (*iam.Credentials, error) {
			return &iam.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "session-secret", SessionToken: "session-token",
				Expiration: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)}, nil
		},
		PodIdentities: func(context.Context, string) ([]podidentity.Identity, error) {
			return []podidentity.Identity{{Namespace: "default", ServiceAccount: "app"}}, nil
		},
		FargateProfiles: func(context.Context, string) ([]fargate.Profile, error) {
			return []fargate.Profile{{Name: "fp-default", Selectors: []fargate.Selector{{Namespace: "fargate", Labels: map[string]string{"run": "fargate"}}}}}, nil
		},
	}, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// goldenSecrets are a fixed PKI: CAs and the service-account key, kept in
// testdata so that the CA files, and what is derived from them, stay the same.
func goldenSecrets(t *testing.T) *Secrets {
	t.Helper()
	path := filepath.Join("testdata", "golden", "secrets.json")
	var sec Secrets
	if data, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(data, &sec); err != nil {
			t.Fatal(err)
		}
		return &sec
	} else if !*updateGolden {
		t.Fatalf("%v (run with -update to make the fixture)", err)
	}
	ca, _ := pki.NewCA("kubernetes")
	etcdCA, _ := pki.NewCA("etcd-ca")
	fp, _ := pki.NewCA("front-proxy-ca")
	sa, err := pki.NewRSAKey()
	if err != nil {
		t.Fatal(err)
	}
	sec = Secrets{CACert: ca.CertPEM, CAKey: ca.KeyPEM, EtcdCACert: etcdCA.CertPEM, EtcdCAKey: etcdCA.KeyPEM, FrontProxyCert: fp.CertPEM, FrontProxyKey: fp.KeyPEM, ServiceAcctKey: sa}
	data, _ := json.MarshalIndent(&sec, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return &sec
}

// lockGoldenRoot makes the fixed root, fresh, for this test alone.
func lockGoldenRoot(t *testing.T) {
	t.Helper()
	lock, err := os.OpenFile(goldenRoot+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.RemoveAll(goldenRoot)
		_ = lock.Close()
	})
	if err := os.RemoveAll(goldenRoot); err != nil {
		t.Fatal(err)
	}
	// keks's own processes are hashed with their binary's size and time.
	bin := filepath.Join(goldenRoot, "bin", "keks")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("keks golden binary\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	stamp := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	if err := os.Chtimes(bin, stamp, stamp); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenHostRuntime(t *testing.T) {
	if _, err := os.Stat(systemRoots); err != nil {
		t.Skip("no system CA bundle")
	}
	lockGoldenRoot(t)
	sec := goldenSecrets(t)
	keksCA := filepath.Join(goldenRoot, "keks-ca.crt")
	if err := os.WriteFile(keksCA, sec.FrontProxyCert, 0o644); err != nil { // any fixed certificate
		t.Fatal(err)
	}
	for _, gc := range goldenCases {
		t.Run(gc.name, func(t *testing.T) {
			clustersDir := filepath.Join(goldenRoot, "clusters")
			if err := os.RemoveAll(clustersDir); err != nil {
				t.Fatal(err)
			}
			c := goldenController(t, keksCA)
			cl := goldenCluster(gc)
			v, ok := kubeversions.Lookup(gc.version)
			if !ok {
				t.Fatalf("version %s", gc.version)
			}
			dir := filepath.Join(clustersDir, goldenUID)
			specs := renderHost(t, c, cl, sec, v)
			before := snapshotFiles(t, dir)
			// A second pass changes nothing: no leaf is issued again, no file rewritten.
			again := renderHost(t, c, cl, sec, v)
			if after := snapshotFiles(t, dir); !equalSnapshots(before, after) {
				t.Errorf("a second pass rewrote files: %s", diffSnapshots(before, after))
			}
			if again != specs {
				t.Errorf("a second pass gave other process specs")
			}
			checkHostCouplings(t, c, cl)
			var out strings.Builder
			out.WriteString(specs)
			describeFiles(t, &out, dir, sec)
			checkGolden(t, filepath.Join("testdata", "golden", gc.name+".txt"), out.String())
		})
	}
}

// renderHost runs what a reconcile pass of the host runtime does up to
// starting processes: the files, then every process's spec.
func renderHost(t *testing.T, c *Controller, cl *eks.Cluster, sec *Secrets, v kubeversions.Version) string {
	t.Helper()
	st := &State{ClusterUID: cl.UID, ClusterName: cl.Name, Region: cl.Region, NetIndex: goldenNetIndex}
	rt := c.host
	pl := rt.Placement(st)
	b, err := c.bundle(pl, cl, sec, rt.Published(st))
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Publish(context.Background(), st, b); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, m := range c.members(pl, cl, v, b) {
		spec, hash := rt.spec(rt.placement(st), m)
		if h := rt.ConfigHash(st, m); h != hash {
			t.Errorf("%s: ConfigHash %s, spec's %s", m.name, h, hash)
		}
		fmt.Fprintf(&out, "== process %s (%s, %s, %s)\nid: %s\npath: %s\ndir: %s\nlog: %s\nhostname: %s\nenv: %s\nhash: %s\nargs:\n",
			m.name, m.role, m.zone, m.address, spec.ID, spec.Path, spec.Dir, spec.LogFile, spec.Hostname, strings.Join(spec.Env, " "), hash)
		for _, a := range spec.Args {
			fmt.Fprintf(&out, "  %s\n", a)
		}
	}
	return out.String()
}

type fileState struct {
	mode    fs.FileMode
	content string
	modTime time.Time
}

func snapshotFiles(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fsState := fileState{mode: info.Mode(), modTime: info.ModTime()}
		if !d.IsDir() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			fsState.content = string(data)
		}
		out[rel] = fsState
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalSnapshots(a, b map[string]fileState) bool { return diffSnapshots(a, b) == "" }

func diffSnapshots(a, b map[string]fileState) string {
	var diffs []string
	for k, x := range a {
		y, ok := b[k]
		switch {
		case !ok:
			diffs = append(diffs, k+" removed")
		case x.content != y.content || x.mode != y.mode || (!x.mode.IsDir() && !x.modTime.Equal(y.modTime)):
			diffs = append(diffs, k+" changed")
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			diffs = append(diffs, k+" added")
		}
	}
	sort.Strings(diffs)
	return strings.Join(diffs, ", ")
}

// describeFiles writes every file under dir: its name, mode and content,
// or, for what carries fresh key material, what is fixed about it.
func describeFiles(t *testing.T, out *strings.Builder, dir string, sec *Secrets) {
	t.Helper()
	roots, _ := os.ReadFile(systemRoots)
	fixed := map[string]string{}
	for name, data := range map[string][]byte{"ca.key": sec.CAKey, "etcd-ca.key": sec.EtcdCAKey, "front-proxy-ca.key": sec.FrontProxyKey, "sa.key": sec.ServiceAcctKey} {
		fixed[string(data)] = name
	}
	snap := snapshotFiles(t, dir)
	names := make([]string, 0, len(snap))
	for k := range snap {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		f := snap[name]
		if f.mode.IsDir() {
			fmt.Fprintf(out, "== dir %s %v\n", name, f.mode)
			continue
		}
		fmt.Fprintf(out, "== file %s %v\n", name, f.mode)
		content := f.content
		if strings.HasPrefix(content, string(roots)) && len(roots) > 0 {
			out.WriteString("<the system's CA bundle>\n")
			content = content[len(roots):]
		}
		switch {
		case strings.Contains(content, "PRIVATE KEY-----"):
			if fx, ok := fixed[content]; ok {
				fmt.Fprintf(out, "<fixture key %s>\n", fx)
			} else {
				b, _ := pem.Decode([]byte(content))
				fmt.Fprintf(out, "<fresh private key, %s>\n", pemType(b))
			}
		case strings.Contains(content, "-----BEGIN CERTIFICATE-----"):
			describeCerts(out, []byte(content))
		case name == "identities.json":
			out.WriteString(normalizeSnapshot(t, []byte(content)))
		default:
			out.WriteString(content)
			if !strings.HasSuffix(content, "\n") {
				out.WriteString("\n<no newline at end>\n")
			}
		}
	}
}

func pemType(b *pem.Block) string {
	if b == nil {
		return "not PEM"
	}
	return b.Type
}

func describeCerts(out *strings.Builder, data []byte) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			if rest := strings.TrimSpace(string(data)); rest != "" {
				fmt.Fprintf(out, "<%d bytes that are no certificate>\n", len(rest))
			}
			return
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			fmt.Fprintf(out, "<%s block: %v>\n", b.Type, err)
			continue
		}
		var ips []string
		for _, ip := range c.IPAddresses {
			ips = append(ips, ip.String())
		}
		var ext []string
		for _, u := range c.ExtKeyUsage {
			ext = append(ext, fmt.Sprint(u))
		}
		sum := ""
		if c.IsCA {
			s := sha256.Sum256(b.Bytes)
			sum = " sha256=" + hex.EncodeToString(s[:8])
		}
		fmt.Fprintf(out, "certificate subject=%q issuer=%q ca=%v dns=%v ips=%v keyUsage=%d extKeyUsage=%v validity=%s%s\n",
			c.Subject.String(), c.Issuer.String(), c.IsCA, c.DNSNames, ips, c.KeyUsage, ext, c.NotAfter.Sub(c.NotBefore).Round(time.Hour), sum)
	}
}

// normalizeSnapshot replaces what depends on today's date in the identity
// snapshot: its date, and the dates of the signing keys, which it checks
// are derived from the fixed secret.
func normalizeSnapshot(t *testing.T, data []byte) string {
	t.Helper()
	var snap authn.Snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		t.Fatalf("identities.json: %v", err)
	}
	now := time.Now().UTC()
	if !snap.GeneratedAt.Equal(now.Truncate(24 * time.Hour)) {
		t.Errorf("identities.json generated at %s", snap.GeneratedAt)
	}
	snap.GeneratedAt = time.Time{}
	for id, k := range snap.Keys {
		signing := map[string]string{}
		for scope, key := range k.Signing {
			date, region, _ := strings.Cut(scope, "/")
			d, err := time.Parse("20060102", date)
			if err != nil {
				t.Fatalf("scope %s", scope)
			}
			if hex.EncodeToString(awsproto.SigningKey(goldenSecret, date, region, "sts")) != key {
				t.Errorf("signing key of %s is not derived from the secret", scope)
			}
			offset := int(d.Sub(now.Truncate(24*time.Hour)).Hours() / 24)
			signing[fmt.Sprintf("today%+d/%s", offset, region)] = "derived"
		}
		k.Signing = signing
		snap.Keys[id] = k
	}
	out, _ := json.MarshalIndent(&snap, "", "  ")
	return "<normalized>\n" + string(out) + "\n"
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(want, []byte(got)) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
		for i := 0; i < max(len(wl), len(gl)); i++ {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			if w != g {
				t.Fatalf("%s differs from line %d:\nwant: %s\ngot:  %s", path, i+1, w, g)
			}
		}
	}
}

// checkHostCouplings: what the rest of keks asks of a published control
// plane: keks's client of it, the Fargate profiles its webhooks serve, and
// where its logs are.
func checkHostCouplings(t *testing.T, c *Controller, cl *eks.Cluster) {
	t.Helper()
	st := &State{ClusterUID: cl.UID, ClusterName: cl.Name, Region: cl.Region, NetIndex: goldenNetIndex}
	rt := c.host
	pl := rt.placement(st)
	rc, err := rt.AdminConfig(st)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Host != "https://198.18.7.10:443" || rc.TLSClientConfig.CAFile != pl.PKI("ca.crt") || rc.TLSClientConfig.CertFile != pl.PKI("keks-admin.crt") || rc.Dial == nil {
		t.Errorf("admin config %s ca %s cert %s (dial set %v)", rc.Host, rc.TLSClientConfig.CAFile, rc.TLSClientConfig.CertFile, rc.Dial != nil)
	}
	if !rt.ProfilesServed(st, "fp-default") || rt.ProfilesServed(st, "fp-other") {
		t.Error("served profiles are not the published ones")
	}
	if got := rt.LogDir(st); got != filepath.Join(string(pl.dir), "logs") || filepath.Dir(pl.Log("kube-apiserver-a")) != got {
		t.Errorf("log dir %s", got)
	}
}
