package agent

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/pki"
)

// Files in the data directory, every one 0600.
const (
	stateFile    = "agent.json"
	keyFile      = "agent.key"
	certFile     = "agent.crt"
	keksCAFile   = "keks-ca.crt"   // verifies the server
	agentsCAFile = "agents-ca.crt" // signed this agent's certificate
)

// State is what a joined agent remembers besides its key and certificates.
type State struct {
	HostID string `json:"hostId"`
	Server string `json:"server"`
	Zone   string `json:"zone"`
}

// Identity is a joined agent: who it is and a client that proves it.
type Identity struct {
	State
	client *http.Client
}

// Join returns this data directory's identity, joining with the token
// first if it has none. A joined directory needs no token: the stored
// certificate is the host's proof, the stored CA the server's.
func Join(ctx context.Context, cfg Config) (*Identity, error) {
	if id, err := load(cfg); err == nil {
		if cfg.Server != "" && strings.TrimRight(cfg.Server, "/") != id.Server {
			cfg.Log.Warn("this host joined another server; using it", "joined", id.Server, "given", cfg.Server)
		}
		if cfg.Zone != "" && cfg.Zone != id.Zone {
			cfg.Log.Warn("this host joined in another zone; its zone stays", "joined", id.Zone, "given", cfg.Zone)
		}
		return id, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return join(ctx, cfg)
}

func join(ctx context.Context, cfg Config) (*Identity, error) {
	server := strings.TrimRight(cfg.Server, "/")
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("--server %q is not https://host:port", cfg.Server)
	}
	if cfg.Token == "" || cfg.CACertHash == "" || cfg.Zone == "" {
		return nil, fmt.Errorf("%s holds no identity: the first run needs --token, --ca-cert-hash and --zone (keks agent-token create prints them)", cfg.DataDir)
	}
	if !agents.ValidToken(cfg.Token) {
		return nil, errors.New("--token is not a join token (<6 letters and digits>.<16 letters and digits>)")
	}
	hash, err := agents.ParseCertHash(cfg.CACertHash)
	if err != nil {
		return nil, fmt.Errorf("--ca-cert-hash: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("make the agent's key: %w", err)
	}
	// keks sets the certificate's subject itself; this one only says what
	// the request is for in logs of whoever looks at it.
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "keks-agent"}}, key)
	if err != nil {
		return nil, fmt.Errorf("make the agent's certificate request: %w", err)
	}
	addrs, err := addresses(cfg, server)
	if err != nil {
		return nil, err
	}
	c, err := capacity(cfg)
	if err != nil {
		return nil, err
	}
	var keksCA *x509.Certificate
	pinned := tlsClient(&tls.Config{MinVersion: tls.VersionTLS12, ServerName: agents.ServerName,
		// The server's chain is not known yet: it is taken only if it
		// holds a CA with the hash given and the server's certificate
		// verifies under that CA for the host dialled (verifyPinned).
		InsecureSkipVerify: true, //nolint:gosec // verified by VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			ca, err := verifyPinned(cs, hash, server)
			keksCA = ca
			return err
		}})
	cfg.Log.Info("joining keks", "server", server, "zone", cfg.Zone, "addresses", addrs, "cpus", c.CPUs, "memoryBytes", c.MemoryBytes)
	var resp agents.JoinResponse
	err = call(ctx, pinned, server, "/keks/agents/v1/join", agents.JoinRequest{Token: cfg.Token,
		CSR:  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr})),
		Zone: cfg.Zone, Addresses: addrs, Capacity: c, AgentVersion: cfg.Version}, &resp)
	var refused *refusal
	var pin *pinError
	switch {
	case errors.As(err, &refused):
		return nil, fmt.Errorf("keks refused the join: %s", refused.Message)
	case errors.As(err, &pin):
		return nil, pin
	case err != nil:
		// Not an answer: keks may be starting, or the network coming up.
		return nil, &transientError{fmt.Errorf("join: %w", err)}
	}
	if keksCA == nil {
		return nil, errors.New("join: the server's CA was not seen")
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	st := State{HostID: resp.HostID, Server: server, Zone: cfg.Zone}
	stJSON, _ := json.MarshalIndent(st, "", "  ")
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("make the data directory: %w", err)
	}
	// The state file last: it is what says "joined".
	for _, f := range []struct {
		name string
		data []byte
	}{
		{keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})},
		{certFile, []byte(resp.Certificate)},
		{agentsCAFile, []byte(resp.AgentsCA)},
		{keksCAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: keksCA.Raw})},
		{stateFile, append(stJSON, '\n')},
	} {
		if err := pki.WriteFileAtomic(filepath.Join(cfg.DataDir, f.name), f.data, 0o600); err != nil {
			return nil, err
		}
	}
	cfg.Log.Info("joined keks", "host", resp.HostID, "dataDir", cfg.DataDir)
	return load(cfg)
}

// verifyPinned accepts a server chain only if it holds a CA whose key has
// the hash given, and the server's certificate verifies under that CA for
// the host dialled; it returns that CA.
func verifyPinned(cs tls.ConnectionState, hash, server string) (*x509.Certificate, error) {
	if len(cs.PeerCertificates) == 0 {
		return nil, errors.New("the server sent no certificate")
	}
	var ca *x509.Certificate
	var seen []string
	for _, c := range cs.PeerCertificates[1:] {
		if !c.IsCA {
			continue
		}
		if agents.CertHash(c) == hash {
			ca = c
			break
		}
		seen = append(seen, agents.CertHash(c))
	}
	if ca == nil {
		found := "it sent no CA certificate"
		if len(seen) > 0 {
			found = "its CA's hash is " + strings.Join(seen, ", ")
		}
		return nil, &pinError{fmt.Errorf("%s is not the keks --ca-cert-hash %s names (%s): refusing to join; check --server and --ca-cert-hash", server, hash, found)}
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, DNSName: cs.ServerName}); err != nil {
		return nil, &pinError{fmt.Errorf("%s's certificate does not verify under the keks CA the hash names: %w", server, err)}
	}
	return ca, nil
}

// load reads a joined data directory's identity.
func load(cfg Config) (*Identity, error) {
	data, err := os.ReadFile(filepath.Join(cfg.DataDir, stateFile))
	if err != nil {
		return nil, err
	}
	var id Identity
	if err := json.Unmarshal(data, &id.State); err != nil || id.HostID == "" || id.Server == "" {
		return nil, fmt.Errorf("%s is not an agent's state (%v): remove %s to join again", filepath.Join(cfg.DataDir, stateFile), err, cfg.DataDir)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(cfg.DataDir, certFile), filepath.Join(cfg.DataDir, keyFile))
	if err != nil {
		return nil, fmt.Errorf("the agent's certificate: %w", err)
	}
	caPEM, err := os.ReadFile(filepath.Join(cfg.DataDir, keksCAFile))
	if err != nil {
		return nil, fmt.Errorf("keks's CA: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s holds no certificate", filepath.Join(cfg.DataDir, keksCAFile))
	}
	id.client = tlsClient(&tls.Config{MinVersion: tls.VersionTLS12, ServerName: agents.ServerName, RootCAs: roots, Certificates: []tls.Certificate{cert}})
	return &id, nil
}

// pinError is a server that is not the keks the hash names: no retry.
type pinError struct{ error }

func (e *pinError) Unwrap() error { return e.error }

// transientError is a join that got no answer: worth trying again.
type transientError struct{ error }

func (e *transientError) Unwrap() error { return e.error }
