package agent

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/kubeversions"
)

// testEnv is a host environment in a temporary directory whose Kubernetes
// directory holds the default version and the node runtime, as built.
func testEnv(t *testing.T) *hostEnv {
	t.Helper()
	root := t.TempDir()
	k8s := k8sbuild.Dir(filepath.Join(root, "k8s"))
	v, _ := kubeversions.Lookup(kubeversions.Default)
	touch(t, filepath.Join(k8s.BinDir(v), "kube"))
	for _, b := range k8sbuild.NodeRuntimeBinaries {
		touch(t, filepath.Join(k8s.NodeRuntimeDir(), b))
	}
	return &hostEnv{instancesDir: filepath.Join(root, "agent", "instances"), k8s: k8s,
		keksBinary: "/usr/local/bin/keks", keksCA: filepath.Join(root, "agent", keksCAFile)}
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o755); err != nil {
		t.Fatal(err)
	}
}

var testCAPEM = func() string {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubernetes"}, IsCA: true,
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}()

// assigned is an instance as keks assigns it, wanted running.
func assigned(id string) agents.AssignedInstance {
	return agents.AssignedInstance{
		Want: agents.WantRunning, ID: id, Zone: "us-east-1a", Region: "us-east-1",
		Address: "172.31.0.10/20", Gateway: "172.31.0.1", Bridge: "ks0123456789ab", PodCIDR: "100.64.0.64/26",
		SubnetCIDR: "172.31.0.0/20", ClusterName: "demo", Endpoint: "https://198.18.0.5", ClusterCA: testCAPEM,
		ClusterDNS: "10.100.0.10", KubernetesVersion: kubeversions.Default, AWSEndpoint: "https://192.0.2.1:4577",
		Labels: map[string]string{"topology.kubernetes.io/zone": "us-east-1a"}, KubeProxy: true, Registry: "198.19.255.254",
		ClusterCIDR: "100.64.0.0/10", ServiceRanges: []string{"10.100.0.0/16"}, MaxPods: 17, MemoryBytes: 2 << 30, CPUs: 2,
	}
}
