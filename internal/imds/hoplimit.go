package imds

import (
	"context"
	"errors"
	"net"
)

// SetHopLimit makes every packet the request's connection sends from now on
// leave with TTL hops, as the metadata service does for a token: a proxy of
// it (`keks agent`, which answers its host's instances for keks) sends the
// answers with the hop limit keks names. The server must use ConnContext.
func SetHopLimit(ctx context.Context, hops int) error {
	c, _ := ctx.Value(connKey{}).(net.Conn)
	if c == nil {
		return errors.New("the server does not pass connections to the handler (imds.ConnContext)")
	}
	return setTTL(c, hops)
}
