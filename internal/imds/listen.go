package imds

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/keksdev/keks/internal/network"
)

// DefaultAddress is where keks serves the metadata service on the host:
// beside the registry's address on keks0, one of the host's own addresses
// that instances reach through their subnet's gateway. The host sends what
// instances and pods address to 169.254.169.254:80 here (internal/nodes);
// the host itself keeps its own 169.254.169.254, if it has one.
const DefaultAddress = "198.19.255.253:80"

// hostBridge carries keks's service addresses on the host (also the registry's).
const hostBridge = "keks0"

// Listen puts addr's address on the host (unless it is a loopback one)
// and listens there.
func Listen(addr string) (net.Listener, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("metadata service address %q: %w", addr, err)
	}
	if !ap.Addr().IsLoopback() {
		if err := network.EnsureBridge(hostBridge, []netip.Prefix{netip.PrefixFrom(ap.Addr(), ap.Addr().BitLen())}); err != nil {
			return nil, fmt.Errorf("metadata service address on %s: %w", hostBridge, err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for the metadata service on %s: %w", addr, err)
	}
	return ln, nil
}

// ReleaseAddress takes addr's address off the host again (Listen's undoing).
func ReleaseAddress(addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return fmt.Errorf("metadata service address %q: %w", addr, err)
	}
	if ap.Addr().IsLoopback() {
		return nil
	}
	if err := network.DeleteAddress(hostBridge, netip.PrefixFrom(ap.Addr(), ap.Addr().BitLen())); err != nil {
		return fmt.Errorf("release the metadata service address: %w", err)
	}
	return nil
}

// NewServer is an HTTP server for the handler: plain HTTP, as EC2's, and
// with each connection in its request's context, where the handler sets
// the token response's TTL.
func NewServer(h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler: h, ConnContext: ConnContext, ErrorLog: errorLog,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 40 * time.Second,
		IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10,
	}
}
