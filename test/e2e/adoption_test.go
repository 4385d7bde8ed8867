package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestAdoptionAcrossBinaries: a control plane made by another keks binary
// (KEKS_ADOPT_FROM: a build of main, say) is adopted by this one. Its
// Kubernetes processes keep running with the configuration hashes they
// had, and nothing is replaced: a hash this build computed differently
// would roll every running control plane on an upgrade. keks's own
// processes (endpoint, authenticators) are rolled one at a time, as on
// any keks upgrade: their hash follows keks's binary. The endpoint rolls
// last (rolloutOrder), so once it has, any other outdated member would
// have been rolled before it.
func TestAdoptionAcrossBinaries(t *testing.T) {
	old := os.Getenv("KEKS_ADOPT_FROM")
	if old == "" {
		t.Skip("set KEKS_ADOPT_FROM to the keks binary that makes the control plane")
	}
	// Both binaries use this tree's Kubernetes builds: a binary elsewhere
	// would look for (and start) builds beside itself, and the programs'
	// paths are part of their configuration.
	k8sDir, err := filepath.Abs(filepath.Join("..", "..", "_output", "k8s"))
	if err != nil {
		t.Fatal(err)
	}
	e := harness.New(t, "--k8s-dir", k8sDir)
	built := e.Keks
	e.StopServer()
	e.Keks = old
	e.StartServer()
	const name = "adopted"
	subnets := e.PrivateSubnets()
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", e.ClusterRole("eksClusterRole"), "--resources-vpc-config", "subnetIds="+strings.Join(subnets, ","),
		"--logging", `{"clusterLogging":[{"types":["api","audit","authenticator"],"enabled":true}]}`)
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	before := map[string]harness.Instance{}
	for _, in := range e.Instances(name) {
		before[in.Name] = in
	}
	e.StopServer()
	e.Keks = built
	e.StartServer()
	time.Sleep(time.Minute)
	harness.Eventually(t, 5*time.Minute, "the endpoint rolled to this keks, every instance healthy, the cluster ACTIVE", func() error {
		for _, in := range e.Instances(name) {
			if !in.Healthy || !in.Running {
				return errors.New(in.Name + " is not healthy")
			}
			if in.Name == "endpoint" && in.PID == before[in.Name].PID {
				return errors.New("the endpoint has not rolled yet")
			}
		}
		if st := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.status", "--output", "text")); st != "ACTIVE" {
			return errors.New("cluster " + st)
		}
		return nil
	})
	e.Run("aws", "eks", "update-kubeconfig", "--name", name)
	if out := e.Run("kubectl", "get", "--raw", "/readyz"); strings.TrimSpace(out) != "ok" {
		t.Fatalf("/readyz after adoption: %q", out)
	}
	for _, in := range e.Instances(name) {
		was, ok := before[in.Name]
		switch {
		case !ok:
			t.Errorf("%s is new", in.Name)
		case in.Replaced != was.Replaced:
			t.Errorf("%s was replaced (%d -> %d)", in.Name, was.Replaced, in.Replaced)
		case in.Version == "keks":
			t.Logf("%s (keks's own): pid %d -> %d, configuration %s -> %s", in.Name, was.PID, in.PID, was.ConfigHash, in.ConfigHash)
		case in.PID != was.PID || in.ConfigHash != was.ConfigHash:
			t.Errorf("%s was restarted: pid %d -> %d, configuration %s -> %s", in.Name, was.PID, in.PID, was.ConfigHash, in.ConfigHash)
		default:
			t.Logf("%s kept: pid %d, configuration %s", in.Name, in.PID, in.ConfigHash)
		}
	}
}
