package imds

import (
	"context"
	"fmt"
	"net"
	"syscall"
)

// IMDSv2's hop limit is the TTL of the token response's IP packets: the
// instance's own processes get it; a pod one routing hop further (its node
// forwards the packet to the pod network) gets it only with a limit of 2
// or more, since a router drops a packet whose TTL would reach 0.

type connKey struct{}

// ConnContext keeps a request's connection in its context, so the handler
// can set the TTL of its socket; http.Server.ConnContext must be this.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

type hopsReportKey struct{}

// ReportHops makes the handler, for requests under the returned context,
// hand the hop limit to report instead of setting it on their connection:
// a request an agent forwards (internal/agents) reaches keks over the
// agent's connection, and the agent sends the answer on to the instance
// with that TTL. report is called before the answer's first byte.
func ReportHops(ctx context.Context, report func(hops int)) context.Context {
	return context.WithValue(ctx, hopsReportKey{}, report)
}

// limitHops makes every packet the request's connection sends from now on
// (the response, and any retransmission of it) leave with TTL hops. The TTL
// is never raised again on that connection: a retransmitted token must
// not reach further than the first copy.
func limitHops(ctx context.Context, hops int) error {
	if report, ok := ctx.Value(hopsReportKey{}).(func(int)); ok {
		report(hops)
		return nil
	}
	return SetHopLimit(ctx, hops)
}

func setTTL(c net.Conn, ttl int) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return fmt.Errorf("connection %T has no socket to set a TTL on", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return fmt.Errorf("socket of %s: %w", c.RemoteAddr(), err)
	}
	level, opt := syscall.IPPROTO_IP, syscall.IP_TTL
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok && a.IP.To4() == nil {
		level, opt = syscall.IPPROTO_IPV6, syscall.IPV6_UNICAST_HOPS
	}
	var setErr error
	if err := raw.Control(func(fd uintptr) { setErr = syscall.SetsockoptInt(int(fd), level, opt, ttl) }); err != nil {
		return fmt.Errorf("socket of %s: %w", c.RemoteAddr(), err)
	}
	if setErr != nil {
		return fmt.Errorf("set TTL %d on the connection from %s: %w", ttl, c.RemoteAddr(), setErr)
	}
	return nil
}
