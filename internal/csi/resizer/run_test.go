package resizer

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/csi/sidecar"
)

// unreachableKubeconfig points at a port nobody listens on: Run starts,
// its informers retry, and the test looks at everything else.
func unreachableKubeconfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	config := `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {}}]
current-context: c
`
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunServesDiagnosticsAndEndsWhenTheDriverGoes(t *testing.T) {
	driver := newFakeDriver()
	socket := driver.serve(t)
	addr := freeAddress(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"--csi-address=" + socket, "--kubeconfig=" + unreachableKubeconfig(t), "--http-endpoint=" + addr, "--timeout=2s"})
	}()

	if code, body := getBody(t, "http://"+addr+"/healthz/leader-election"); code != http.StatusOK || body != "ok" {
		t.Errorf("/healthz/leader-election = %d %q, want 200 ok", code, body)
	}
	code, body := getBody(t, "http://"+addr+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, `grpc_status_code="OK",method_name="/csi.v1.Controller/ControllerGetCapabilities"}`) {
		t.Errorf("/metrics = %d, want the driver calls counted; got:\n%.2000s", code, body)
	}

	// (Calls before GetPluginInfo answered carry driver_name="", as
	// upstream's do.)

	// The driver restarting is a lost connection: Run ends with an error,
	// and the container restarts as upstream's would.
	driver.stop()
	select {
	case err := <-done:
		if !errors.Is(err, sidecar.ErrConnectionLost) {
			t.Errorf("Run = %v, want %v", err, sidecar.ErrConnectionLost)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not notice the lost driver")
	}
}
