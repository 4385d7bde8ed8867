package agent

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/imds"
)

// seen is a request as keks's agents listener got it.
type seen struct {
	method, uri, caller, token, ttl, forwardedFor, body string
}

// fakeKeks stands for keks's agents listener: it records the forwarded
// request and answers with answer.
func fakeKeks(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *seen) {
	t.Helper()
	got := &seen{}
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		*got = seen{method: r.Method, uri: r.URL.RequestURI(), caller: r.Header.Get(agents.MetadataCallerHeader),
			token: r.Header.Get("X-aws-ec2-metadata-token"), ttl: r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds"),
			forwardedFor: r.Header.Get("X-Forwarded-For"), body: string(body)}
		answer(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, got
}

// serveProxy serves a proxy to keks as the agent does (imds.NewServer, so
// the hop limit can be set on the connection) and returns its URL.
func serveProxy(t *testing.T, keks *httptest.Server, setHopLimit func(context.Context, int) error) string {
	t.Helper()
	p := &metadataProxy{client: keks.Client(), server: keks.URL, log: slog.New(slog.DiscardHandler), setHopLimit: setHopLimit}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := imds.NewServer(p, nil)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestMetadataProxyForwardsWithTheCallersAddress(t *testing.T) {
	keks, got := fakeKeks(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Connection", "close")
		_, _ = io.WriteString(w, "i-0123456789abcdef0")
	})
	url := serveProxy(t, keks, nil)
	req, _ := http.NewRequest(http.MethodGet, url+"/latest/meta-data/instance-id?x=1", nil)
	req.Header.Set("X-aws-ec2-metadata-token", "tok")
	// An instance cannot name another as the caller.
	req.Header.Set(agents.MetadataCallerHeader, "172.31.0.99")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "i-0123456789abcdef0" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("answer %d %q %v", resp.StatusCode, body, resp.Header)
	}
	want := seen{method: http.MethodGet, uri: agents.MetadataPath + "/latest/meta-data/instance-id?x=1", caller: "127.0.0.1", token: "tok"}
	if *got != want {
		t.Errorf("keks got %+v, want %+v", *got, want)
	}
}

func TestMetadataProxySendsTheTokenWithKeksHopLimit(t *testing.T) {
	keks, got := fakeKeks(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(agents.MetadataHopLimitHeader, "2")
		w.Header().Set("X-aws-ec2-metadata-token-ttl-seconds", "21600")
		_, _ = io.WriteString(w, "token")
	})
	var hops []int
	url := serveProxy(t, keks, func(ctx context.Context, n int) error {
		hops = append(hops, n)
		return imds.SetHopLimit(ctx, n) // on the real connection: the server passes it
	})
	req, _ := http.NewRequest(http.MethodPut, url+"/latest/api/token", strings.NewReader(""))
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "21600")
	req.Header.Set("X-Forwarded-For", "10.0.0.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "token" || resp.Header.Get(agents.MetadataHopLimitHeader) != "" ||
		resp.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") != "21600" {
		t.Errorf("answer %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if len(hops) != 1 || hops[0] != 2 {
		t.Errorf("hop limits set: %v", hops)
	}
	// The service refuses a token through a proxy of the instance's own:
	// the header that says so reaches it.
	if got.method != http.MethodPut || got.ttl != "21600" || got.forwardedFor != "10.0.0.1" {
		t.Errorf("keks got %+v", *got)
	}
}

func TestMetadataProxyWithholdsAnAnswerWhoseHopLimitIsBad(t *testing.T) {
	keks, _ := fakeKeks(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(agents.MetadataHopLimitHeader, "0")
		_, _ = io.WriteString(w, "token")
	})
	url := serveProxy(t, keks, func(context.Context, int) error { t.Error("hop limit 0 set"); return nil })
	resp, err := http.Post(url+"/latest/api/token", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError || strings.Contains(string(body), "token") {
		t.Errorf("answer %d %q", resp.StatusCode, body)
	}
}

func TestMetadataProxyBoundsAndFailures(t *testing.T) {
	keks, _ := fakeKeks(t, func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "not found", http.StatusNotFound) })
	url := serveProxy(t, keks, nil)
	resp, err := http.Post(url+"/latest/api/token", "text/plain", strings.NewReader(strings.Repeat("x", maxMetadataRequest+1)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a request too large: %d", resp.StatusCode)
	}
	// keks's own answers pass through, errors included.
	resp, err = http.Get(url + "/latest/meta-data/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("keks's 404 became %d", resp.StatusCode)
	}
	// keks unreachable: a gateway error, not a hang or a panic.
	keks.Close()
	resp, err = http.Get(url + "/latest/meta-data/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("keks unreachable: %d", resp.StatusCode)
	}
}
