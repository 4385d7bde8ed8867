package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/store"
)

// The agents listener's paths. Join is the one call without a client
// certificate: its token is its proof.
const (
	agentsJoinPath      = "/keks/agents/v1/join"
	agentsHeartbeatPath = "/keks/agents/v1/heartbeat"
)

// maxAgentBody bounds what an agent may send: a CSR and a few addresses.
const maxAgentBody = 64 << 10

// agentsListener is the HTTPS listener agents talk to: a door of its own,
// not the AWS front door, so that an agent's certificate is worth nothing
// there and no AWS or store credential ever reaches an agent.
type agentsListener struct {
	ln  net.Listener
	srv *http.Server
	url string // https://host:port, as agents are told to reach it
	api *agentsAPI
}

// listenAgents opens the agents listener on addr, with a serving
// certificate from keks's CA (sent with the CA, which agents pin by its
// key's hash on first contact) and client certificates verified by the
// agents CA when given.
func listenAgents(ctx context.Context, addr string, keksCA *pki.CA, svc *agents.Service, log *slog.Logger) (*agentsListener, error) {
	agentsCA, err := svc.CA(ctx)
	if err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--agents-listen %q: %w", addr, err)
	}
	leaf := servingLeaf(host)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		// Listening on every address: agents may come to any of them.
		leaf = servingLeaf(localAddresses()...)
	}
	leaf.CommonName = agents.ServerName
	leaf.DNSNames = append(leaf.DNSNames, agents.ServerName)
	certPEM, keyPEM, err := keksCA.Issue(leaf)
	if err != nil {
		return nil, fmt.Errorf("agents listener certificate: %w", err)
	}
	cert, err := tls.X509KeyPair(append(certPEM, keksCA.CertPEM...), keyPEM)
	if err != nil {
		return nil, fmt.Errorf("agents listener certificate: %w", err)
	}
	clients := x509.NewCertPool()
	clients.AddCert(agentsCA.Cert)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for agents on %s: %w", addr, err)
	}
	api := &agentsAPI{svc: svc, log: log}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert},
			// IfGiven: join comes without one; every other call is
			// checked for one by its handler (agentsAPI.host).
			ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: clients}}
	return &agentsListener{ln: ln, srv: srv, url: "https://" + ln.Addr().String(), api: api}, nil
}

// localAddresses are the host's own addresses, for a listener on all of them.
func localAddresses() []string {
	addrs, _ := net.InterfaceAddrs()
	var out []string
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			out = append(out, n.IP.String())
		}
	}
	return out
}

// agentsAPI answers agents: JSON in, JSON out, errors as {"code","message"}
// with a 4xx for anything the agent sent wrong.
type agentsAPI struct {
	svc *agents.Service
	log *slog.Logger
	// instances serves the calls about agents' instances (agents_instances.go);
	// nil until the server wires it.
	instances *agentInstances
	// volumes serves the calls about agents' volumes (agents_volumes.go);
	// nil until the server wires it.
	volumes *agentVolumes
}

func (a *agentsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isVolumesPath(r.URL.Path) {
		a.serveVolumes(w, r)
		return
	}
	if isInstancesPath(r.URL.Path) {
		a.serveInstances(w, r)
		return
	}
	var out any
	var err error
	switch {
	case r.URL.Path == agentsJoinPath && r.Method == http.MethodPost:
		var req agents.JoinRequest
		if err = decodeAgentBody(w, r, &req); err == nil {
			out, err = a.svc.Join(r.Context(), req)
		}
		if err == nil {
			resp := out.(*agents.JoinResponse)
			a.log.Info("host joined", "host", resp.HostID, "zone", req.Zone, "addresses", req.Addresses, "from", r.RemoteAddr)
		}
	case r.URL.Path == agentsHeartbeatPath && r.Method == http.MethodPost:
		var h *agents.Host
		if h, err = a.host(r); err == nil {
			var hb agents.Heartbeat
			if err = decodeAgentBody(w, r, &hb); err == nil {
				var st *agents.HostStatus
				if st, err = a.svc.RecordHeartbeat(r.Context(), h.ID, hb); err == nil {
					out = agents.HeartbeatResponse{HostID: st.ID, State: st.State}
				}
			}
		}
	case r.URL.Path == agentsJoinPath || r.URL.Path == agentsHeartbeatPath:
		err = agentError(http.StatusMethodNotAllowed, "MethodNotAllowed", "%s takes POST, not %s", r.URL.Path, r.Method)
	default:
		err = agentError(http.StatusNotFound, "NotFound", "keks's agents listener does not serve %s", r.URL.Path)
	}
	a.answer(w, r, out, err)
}

// answer writes a call's answer as JSON, or its error.
func (a *agentsAPI) answer(w http.ResponseWriter, r *http.Request, out any, err error) {
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// host is the recorded host a call's client certificate speaks for; the
// TLS layer has verified it against the agents CA, when there is one.
func (a *agentsAPI) host(r *http.Request) (*agents.Host, error) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return nil, agentError(http.StatusUnauthorized, "ClientCertificateRequired", "%s needs the client certificate keks signed when the host joined", r.URL.Path)
	}
	return a.svc.Authenticate(r.Context(), r.TLS.VerifiedChains[0][0])
}

func decodeAgentBody(w http.ResponseWriter, r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAgentBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return agentError(http.StatusRequestEntityTooLarge, awserr.CodeRequestTooLarge, "the body is larger than %d bytes", maxAgentBody)
	} else if err != nil {
		return agentError(http.StatusBadRequest, awserr.CodeInvalidRequest, "read the body: %v", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return agentError(http.StatusBadRequest, awserr.CodeInvalidRequest, "the body is not the JSON object this call takes: %v", err)
	}
	return nil
}

func agentError(status int, code, format string, args ...any) *awserr.Error {
	return (&awserr.Error{Code: code, Message: fmt.Sprintf(format, args...)}).WithStatus(status)
}

func (a *agentsAPI) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, known := awserr.AsError(err)
	if !known {
		a.log.Error("agents call failed", "path", r.URL.Path, "from", r.RemoteAddr, "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": e.Code, "message": e.Message})
}

// agentsAndOperator makes the operator API and, with --agents-listen, the
// agents listener (listening, not yet serving).
func agentsAndOperator(ctx context.Context, cfg Config, st *store.Store, e2 *ec2.Service, now func() time.Time, log *slog.Logger) (*operator, *agentsListener, error) {
	keksCA, err := loadKeksCA(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	svc := &agents.Service{Store: st, Now: now, Removing: endInstancesOfHost(e2)}
	op := &operator{st: st, agents: svc, caCertHash: agents.CertHash(keksCA.Cert)}
	if cfg.AgentsListen == "" {
		return op, nil, nil
	}
	ln, err := listenAgents(ctx, cfg.AgentsListen, keksCA, svc, log.With("component", "agents"))
	if err != nil {
		return nil, nil, err
	}
	op.agentsURL = ln.url
	return op, ln, nil
}
