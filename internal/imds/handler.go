// Package imds is the EC2 instance metadata service of keks's instances:
// what an SDK, the AWS CLI or `keks get-token` on an instance (or one of its
// pods) reads at 169.254.169.254, the instance role's temporary credentials
// above all. Callers are known by their source address; IMDSv2 session
// tokens are honoured, and their PUT responses leave with the instance's hop
// limit as IP TTL, so pods one routing hop behind their node get no token
// unless the limit allows it (ttl.go).
package imds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/iam"
)

// IMDSv2 headers, as the SDKs send them.
const (
	tokenHeader    = "X-Aws-Ec2-Metadata-Token"
	tokenTTLHeader = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"
)

// maxTokenTTL is the longest a session token may live (6 h), as on EC2.
const maxTokenTTL = 21600

// Handler serves the metadata service. Its lookups are the server's models;
// the zero values of the other fields are usable.
type Handler struct {
	// Instances lists every instance; a caller is found among them by address.
	Instances func(ctx context.Context) ([]ec2.Instance, error)
	// IssueSession makes session credentials of a role (iam.Service.IssueRoleSession).
	IssueSession func(ctx context.Context, roleARN, sessionName string, d time.Duration) (*iam.Credentials, error)
	// Options are an instance's metadata options; nil means DefaultOptions.
	Options func(*ec2.Instance) (hopLimit int, tokensRequired bool)
	Now     func() time.Time
	Log     *slog.Logger

	init     sync.Once
	tokenKey []byte // signs session tokens: a new process refuses an old one's, and SDKs fetch another
	mu       sync.Mutex
	sessions map[string]session // by instance id
}

// DefaultOptions are EC2's metadata options for an instance launched
// without any: IMDSv1 allowed (HttpTokens optional), PUT response hop limit 1.
func DefaultOptions(*ec2.Instance) (hopLimit int, tokensRequired bool) { return 1, false }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.init.Do(h.setup)
	if r.URL.Path == tokenPath {
		h.serveToken(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.refuse(w, http.StatusMethodNotAllowed)
		return
	}
	in, ok := h.caller(w, r)
	if !ok {
		return
	}
	_, tokensRequired := h.options(in)
	if tok := r.Header.Get(tokenHeader); tok != "" {
		// A token, once given, must be good even where IMDSv1 is allowed.
		if owner, ok := h.tokenOwner(tok); !ok || owner != in.ID {
			h.refuse(w, http.StatusUnauthorized)
			return
		}
	} else if tokensRequired {
		h.refuse(w, http.StatusUnauthorized)
		return
	}
	h.serveMetadata(w, r, in)
}

const tokenPath = "/latest/api/token"

// serveToken starts an IMDSv2 session: PUT with the token's lifetime in
// seconds. A request that went through a proxy (X-Forwarded-For) is refused,
// as EC2 refuses it: the token must not leave the instance.
func (h *Handler) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		w.Header().Set("Allow", http.MethodPut)
		h.refuse(w, http.StatusMethodNotAllowed)
		return
	}
	if len(r.Header.Values("X-Forwarded-For")) > 0 {
		h.refuse(w, http.StatusForbidden)
		return
	}
	ttl, err := strconv.Atoi(strings.TrimSpace(r.Header.Get(tokenTTLHeader)))
	if err != nil || ttl < 1 || ttl > maxTokenTTL {
		h.refuse(w, http.StatusBadRequest)
		return
	}
	in, ok := h.caller(w, r)
	if !ok {
		return
	}
	hopLimit, _ := h.options(in)
	// The response's packets must carry the hop limit before its first byte
	// is written, or a pod behind the node could read the token.
	if err := limitHops(r.Context(), hopLimit); err != nil {
		h.log().Error("cannot limit the token response's hops; refusing it", "instance", in.ID, "err", err)
		h.refuse(w, http.StatusInternalServerError)
		return
	}
	tok := h.issueToken(in.ID, h.now().Add(time.Duration(ttl)*time.Second))
	w.Header().Set(tokenTTLHeader, strconv.Itoa(ttl))
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(tok))
}

// caller finds the instance a request comes from, answering the request
// itself when there is none.
func (h *Handler) caller(w http.ResponseWriter, r *http.Request) (*ec2.Instance, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		h.refuse(w, http.StatusForbidden)
		return nil, false
	}
	if h.Instances == nil {
		h.refuse(w, http.StatusInternalServerError)
		return nil, false
	}
	// A client that sends its request and closes its side (HTTP/1.0 tools,
	// `nc`) still gets an answer, as from EC2: the lookup does not end with
	// the request's context.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	all, err := h.Instances(ctx)
	if err != nil {
		h.log().Warn("list instances for a metadata request", "from", ap.Addr(), "err", err)
		h.refuse(w, http.StatusInternalServerError)
		return nil, false
	}
	in, err := CallerAt(all, ap.Addr().Unmap())
	if err != nil {
		if errors.Is(err, errAmbiguousCaller) {
			h.log().Warn("metadata request refused", "from", ap.Addr(), "err", err)
		}
		h.refuse(w, http.StatusForbidden)
		return nil, false
	}
	return in, true
}

func (h *Handler) options(in *ec2.Instance) (hopLimit int, tokensRequired bool) {
	opts := h.Options
	if opts == nil {
		opts = DefaultOptions
	}
	hopLimit, tokensRequired = opts(in)
	return min(max(hopLimit, 1), 64), tokensRequired // EC2's bounds
}

// refuse answers with a status alone, as the metadata service does.
func (h *Handler) refuse(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	_, _ = fmt.Fprint(w, http.StatusText(status))
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
