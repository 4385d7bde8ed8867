package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// BenchmarkControlPlaneScaling drives a cluster's endpoint as hard as 16
// clients can, and prints, every 10 s, how many API servers run and the
// requests per second they serve; then how long the control plane takes to
// shrink back once the load stops.
func BenchmarkControlPlaneScaling(b *testing.B) {
	e := harness.New(b, "--control-plane-scale-down-window=30s")
	const name = "elastic"
	role := e.ClusterRole("bench")
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", role, "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	cfg, cert := adminCert(b, e)

	ctx, cancel := context.WithCancel(context.Background())
	var served atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loadWorker(ctx, cfg.Host, cert, &served)
		}()
	}
	fmt.Printf("\ncontrol plane under as much load as 16 clients make (GET /api/v1/namespaces/default through the endpoint)\n")
	start := time.Now()
	var first, firstUp, peak float64
	peakServers, firstUpAt := 2, time.Duration(0)
	for i := 0; i < 12; i++ {
		before := served.Load()
		time.Sleep(10 * time.Second)
		r := float64(served.Load()-before) / 10
		n := apiServerCount(e, name)
		fmt.Printf("  %3.0f s  %d API servers  %6.0f req/s\n", time.Since(start).Seconds(), n, r)
		if i == 0 {
			first = r
		}
		if n > 2 && firstUpAt == 0 {
			firstUpAt, firstUp = time.Since(start), r
		}
		if n >= peakServers {
			peakServers, peak = n, r
		}
		if n == 5 && i >= 8 {
			break
		}
	}
	cancel()
	wg.Wait()
	stopped := time.Now()
	if err := harness.Within(4*time.Minute, func() error {
		if n := apiServerCount(e, name); n != 2 {
			return fmt.Errorf("%d API servers", n)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	down := time.Since(stopped)
	fmt.Printf("  first API server added after  %5.0f s (%0.f req/s then)\n", firstUpAt.Seconds(), firstUp)
	fmt.Printf("  2 API servers:                %6.0f req/s\n", first)
	fmt.Printf("  %d API servers:                %6.0f req/s  (this host has 2 cores: more API servers share them)\n", peakServers, peak)
	fmt.Printf("  back to 2 API servers         %5.0f s after the load stopped (scale-down window 30 s)\n\n", down.Seconds())
	b.ReportMetric(first, "req/s-2-apiservers")
	b.ReportMetric(peak, "req/s-peak-apiservers")
	b.ReportMetric(float64(peakServers), "apiservers-peak")
	b.ReportMetric(firstUpAt.Seconds(), "s-to-scale-up")
	b.ReportMetric(down.Seconds(), "s-to-scale-down")
}

// loadWorker GETs as fast as it can until ctx ends, dropping its
// connection every 2 s so that the endpoint spreads the load over API
// servers added meanwhile.
func loadWorker(ctx context.Context, host string, cert tls.Certificate, served *atomic.Int64) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, InsecureSkipVerify: true}, //nolint:gosec // the bench measures, it does not trust
		ForceAttemptHTTP2: false, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	recycled := time.Now()
	for ctx.Err() == nil {
		if getOK(ctx, c, host+"/api/v1/namespaces/default") {
			served.Add(1)
		}
		if time.Since(recycled) > 2*time.Second {
			tr.CloseIdleConnections()
			recycled = time.Now()
		}
	}
}

// apiServerCount counts the cluster's API server instances.
func apiServerCount(e *harness.Env, cluster string) int {
	n := 0
	for _, in := range e.Instances(cluster) {
		if in.Role == "kube-apiserver" {
			n++
		}
	}
	return n
}
