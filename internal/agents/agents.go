// Package agents is the model of keks's agents: the other hosts that join
// a keks server to lend it their capacity. It keeps the agents CA (which
// signs each agent's client certificate), the one-time join tokens and
// the host records, all in the store. It serves no HTTP: the agents
// listener (internal/server) and the operator API call it.
package agents

import (
	"context"
	"net/http"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// Store keys.
const (
	caKey       = "pki/agents-ca"
	caKeyPlace  = caKey + "#key" // where the CA key is sealed: its record and field
	tokenPrefix = "agents/tokens/"
	// HostPrefix is where host records live, one per joined host.
	HostPrefix = "hosts/"
)

// ServerName is the name agents verify the agents listener's certificate
// for, whatever address they dial: a host reaches keks through NAT, a
// slot's link or an address keks did not have when it started.
const ServerName = "keks-agents"

// Error codes. The agents listener writes them as {"code", "message"};
// the operator API as AWS errors.
const (
	// CodeInvalidToken is every refusal of a join token (malformed, unknown,
	// wrong secret, expired, used): one code and one message, so that a
	// guesser learns nothing of which.
	CodeInvalidToken = "InvalidJoinToken"
	// CodeUnknownHost refuses a client certificate whose host is not (or no
	// longer) recorded.
	CodeUnknownHost = "UnknownHost"
	// CodeHostNotFound is the operator's DeleteHost of a host that is not there.
	CodeHostNotFound = "HostNotFound"
)

func invalidToken() *awserr.Error {
	return (&awserr.Error{Code: CodeInvalidToken,
		Message: "the join token is not valid: it may be mistyped, expired or already used; make a new one with `keks agent-token create`"}).
		WithStatus(http.StatusUnauthorized)
}

func invalid(format string, args ...any) *awserr.Error {
	return awserr.Errorf(awserr.CodeInvalidRequest, format, args...).WithStatus(http.StatusBadRequest)
}

// Service is the agents model over the store.
type Service struct {
	Store *store.Store
	// Now is the clock (tests move it); nil means time.Now.
	Now func() time.Time
	// Removing, when set, adds to a host's deletion the writes that end
	// what ran on it (its instances), at most limit of them, so that they
	// commit together; more says others are left, which end in further
	// transactions before the one that deletes the host.
	Removing func(ctx context.Context, t *store.Txn, hostID string, limit int) (more bool, err error)
	// Removed, when set, is told of a host's deletion once it committed,
	// to clean up what lives outside the store (Node objects of its
	// instances in their clusters).
	Removed func(ctx context.Context, hostID string)
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}
