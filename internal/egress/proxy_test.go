package egress

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/pki"
)

// TestProxyJoinsOnlyAClustersOwnTargets: an API server's client
// certificate of its cluster reaches an allowed target through CONNECT; a
// certificate of another CA, one naming no cluster, and a target outside
// the cluster's networks are refused.
func TestProxyJoinsOnlyAClustersOwnTargets(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	clusterCA, _ := pki.NewCA("cluster")
	otherCA, _ := pki.NewCA("other")
	serverCA, _ := pki.NewCA("keks")
	proxy := &Proxy{Targets: func(_ context.Context, uid string) (Targets, error) {
		if uid != "c1" {
			return Targets{}, fmt.Errorf("no such cluster")
		}
		pool := x509.NewCertPool()
		pool.AddCert(clusterCA.Cert)
		return Targets{CA: pool, Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, nil
	}}
	crt, key, _ := serverCA.Issue(pki.Leaf{CommonName: "keks", IPs: []net.IP{net.ParseIP("127.0.0.1")}, Server: true})
	cert, _ := tls.X509KeyPair(crt, key)
	srv := httptest.NewUnstartedServer(proxy)
	srv.TLS = proxy.TLSConfig(cert)
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(serverCA.Cert)

	connect := func(ca *pki.CA, org []string, target string) (string, error) {
		crt, key, _ := ca.Issue(pki.Leaf{CommonName: "keks:egress", Organization: org, Client: true})
		cc, _ := tls.X509KeyPair(crt, key)
		conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cc}})
		if err != nil {
			return "", err
		}
		defer conn.Close()
		fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
		if err != nil {
			return "", err
		}
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(resp.Body)
			return "", fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
		}
		fmt.Fprint(conn, "ping\n")
		line, err := br.ReadString('\n')
		return strings.TrimSpace(line), err
	}
	if got, err := connect(clusterCA, []string{ClusterPrefix + "c1"}, echo.Addr().String()); err != nil || got != "ping" {
		t.Fatalf("the cluster's own certificate: %q, %v", got, err)
	}
	for name, tc := range map[string]struct {
		ca     *pki.CA
		org    []string
		target string
		want   string
	}{
		"another CA":       {otherCA, []string{ClusterPrefix + "c1"}, echo.Addr().String(), "not the cluster's"},
		"no cluster named": {clusterCA, nil, echo.Addr().String(), "names no cluster"},
		"unknown cluster":  {clusterCA, []string{ClusterPrefix + "c2"}, echo.Addr().String(), "no such cluster"},
		"outside":          {clusterCA, []string{ClusterPrefix + "c1"}, "127.0.0.2:80", "outside the cluster's networks"},
		"a name":           {clusterCA, []string{ClusterPrefix + "c1"}, "localhost:80", "not an address"},
	} {
		if _, err := connect(tc.ca, tc.org, tc.target); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, tc.want)
		}
	}
}
