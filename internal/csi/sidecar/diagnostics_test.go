package sidecar

import (
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/leaderelection"
)

func get(t *testing.T, handler http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func TestDiagnosticsServeMetricsAndTheLeaderCheck(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "some_total 1\n") })

	withoutElection := DiagnosticsHandler("/custom-metrics", metrics, nil)
	if code, body := get(t, withoutElection, LeaderHealthPath); code != http.StatusOK || body != "ok" {
		t.Errorf("%s without leader election = %d %q, want 200 ok", LeaderHealthPath, code, body)
	}
	if code, body := get(t, withoutElection, "/custom-metrics"); code != http.StatusOK || body != "some_total 1\n" {
		t.Errorf("--metrics-path = %d %q", code, body)
	}

	// A candidate that has not led yet is healthy: only a leader that
	// stopped renewing is not.
	candidate := DiagnosticsHandler("/metrics", metrics, leaderelection.NewLeaderHealthzAdaptor(time.Second))
	if code, body := get(t, candidate, LeaderHealthPath); code != http.StatusOK || body != "ok" {
		t.Errorf("%s of a candidate = %d %q, want 200 ok", LeaderHealthPath, code, body)
	}
}

func TestDiagnosticsServeNothingWithoutAnAddress(t *testing.T) {
	if err := (DiagnosticsFlags{MetricsPath: "/metrics"}).Serve(context.Background(), http.NotFoundHandler(), nil, discard); err != nil {
		t.Errorf("Serve without an address = %v, want nil at once", err)
	}
}

func TestDiagnosticsServeOnTheirAddress(t *testing.T) {
	flags := DiagnosticsFlags{HTTPEndpoint: freeAddress(t), MetricsPath: "/metrics"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- flags.Serve(ctx, http.NotFoundHandler(), nil, discard) }()
	waitUntilListening(t, flags.HTTPEndpoint)
	resp, err := http.Get("http://" + flags.HTTPEndpoint + LeaderHealthPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("%s = %d, want 200", LeaderHealthPath, resp.StatusCode)
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
}

func TestDiagnosticsFlagsAreUpstreams(t *testing.T) {
	parse := func(args ...string) (DiagnosticsFlags, error) {
		var flags DiagnosticsFlags
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		flags.Register(fs)
		if err := fs.Parse(args); err != nil {
			return flags, err
		}
		return flags, flags.Validate()
	}
	if flags, err := parse(); err != nil || flags.Address() != "" || flags.MetricsPath != "/metrics" {
		t.Errorf("defaults %+v, %v", flags, err)
	}
	if flags, err := parse("--http-endpoint=:8080"); err != nil || flags.Address() != ":8080" {
		t.Errorf("--http-endpoint: %+v, %v", flags, err)
	}
	if flags, err := parse("--metrics-address=:8081"); err != nil || flags.Address() != ":8081" {
		t.Errorf("--metrics-address: %+v, %v", flags, err)
	}
	if _, err := parse("--metrics-address=:1", "--http-endpoint=:2"); err == nil || !strings.Contains(err.Error(), "only one of") {
		t.Errorf("both addresses: %v, want refused", err)
	}
}
