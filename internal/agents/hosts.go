package agents

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"sort"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// NotReadyAfter is how long a host may go without a heartbeat (agents send
// one every 10 s) before it is NotReady.
const NotReadyAfter = 40 * time.Second

// Host states, derived from the last heartbeat.
const (
	StateReady    = "Ready"
	StateNotReady = "NotReady"
)

// Capacity is what a host lends keks.
type Capacity struct {
	CPUs        int   `json:"cpus"`
	MemoryBytes int64 `json:"memoryBytes"`
}

// Host is a joined host's record, at hosts/<id>.
type Host struct {
	ID            string    `json:"id"`
	Zone          string    `json:"zone"`
	Addresses     []string  `json:"addresses"`
	Capacity      Capacity  `json:"capacity"`
	AgentVersion  string    `json:"agentVersion,omitempty"`
	JoinedAt      time.Time `json:"joinedAt"`
	LastHeartbeat time.Time `json:"lastHeartbeat"`
	// CertSerial is the serial (hex) of the client certificate keks signed
	// at join: only that certificate speaks for the host.
	CertSerial string `json:"certSerial"`
}

// HostStatus is a host record with its derived state, as listed.
type HostStatus struct {
	Host
	State string `json:"state"`
}

// State is Ready while heartbeats come, NotReady once none came for
// NotReadyAfter.
func (h *Host) State(now time.Time) string {
	if now.Sub(h.LastHeartbeat) > NotReadyAfter {
		return StateNotReady
	}
	return StateReady
}

// JoinRequest is what an agent sends to join (POST /keks/agents/v1/join).
type JoinRequest struct {
	Token        string   `json:"token"`
	CSR          string   `json:"csr"` // PEM CERTIFICATE REQUEST
	Zone         string   `json:"zone"`
	Addresses    []string `json:"addresses"`
	Capacity     Capacity `json:"capacity"`
	AgentVersion string   `json:"agentVersion,omitempty"`
}

// JoinResponse is what a joined agent keeps: who it is and its certificate.
type JoinResponse struct {
	HostID      string `json:"hostId"`
	Certificate string `json:"certificate"` // PEM, signed by the agents CA
	AgentsCA    string `json:"agentsCA"`    // PEM
}

// Heartbeat is what an agent reports every 10 s (POST /keks/agents/v1/heartbeat).
type Heartbeat struct {
	Addresses    []string `json:"addresses"`
	Capacity     Capacity `json:"capacity"`
	AgentVersion string   `json:"agentVersion,omitempty"`
}

// HeartbeatResponse tells the agent how it is recorded.
type HeartbeatResponse struct {
	HostID string `json:"hostId"`
	State  string `json:"state"`
}

var zoneShape = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// maxAddresses bounds a host's addresses: a record is for scheduling, not
// an inventory.
const maxAddresses = 16

func checkHostFields(zone string, addrs []string, c Capacity, version string) error {
	if !zoneShape.MatchString(zone) {
		return invalid("zone %q is not a zone name (lowercase letters, digits and -, as us-east-1a)", zone)
	}
	return checkReport(addrs, c, version)
}

func checkReport(addrs []string, c Capacity, version string) error {
	if len(addrs) == 0 || len(addrs) > maxAddresses {
		return invalid("a host reports 1 to %d addresses, not %d", maxAddresses, len(addrs))
	}
	for _, a := range addrs {
		if _, err := netip.ParseAddr(a); err != nil {
			return invalid("address %q is not an IP address", a)
		}
	}
	if c.CPUs < 1 || c.CPUs > 1<<16 || c.MemoryBytes < 1 || c.MemoryBytes > 1<<52 {
		return invalid("capacity of %d CPUs and %d bytes of memory is not a host's", c.CPUs, c.MemoryBytes)
	}
	if len(version) > 64 {
		return invalid("agent version is longer than 64 characters")
	}
	return nil
}

// Join checks the request, signs the agent's certificate and records the
// host; the token is consumed in the same transaction that writes the
// record, so a token makes one host and a failed join leaves it unused.
func (s *Service) Join(ctx context.Context, req JoinRequest) (*JoinResponse, error) {
	// The token first: without a good one nothing is signed. (The
	// transaction below checks it again, as it consumes it.)
	if _, _, err := s.readToken(ctx, req.Token); err != nil {
		return nil, err
	}
	if err := checkHostFields(req.Zone, req.Addresses, req.Capacity, req.AgentVersion); err != nil {
		return nil, err
	}
	ca, err := s.CA(ctx)
	if err != nil {
		return nil, err
	}
	id := "host-" + randomHex(4)
	certPEM, cert, err := signCSR(ca, []byte(req.CSR), id)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	h := Host{ID: id, Zone: req.Zone, Addresses: req.Addresses, Capacity: req.Capacity, AgentVersion: req.AgentVersion,
		JoinedAt: now, LastHeartbeat: now, CertSerial: cert.SerialNumber.Text(16)}
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		if err := s.checkToken(ctx, t, req.Token); err != nil {
			return err
		}
		t.Create(HostPrefix+id, &h)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &JoinResponse{HostID: id, Certificate: string(certPEM), AgentsCA: string(ca.CertPEM)}, nil
}

// Authenticate finds the host a verified client certificate speaks for:
// its CN names a recorded host whose certificate it is. A deleted host's
// certificate, still valid to TLS, is refused here.
func (s *Service) Authenticate(ctx context.Context, cert *x509.Certificate) (*Host, error) {
	var h Host
	_, err := s.Store.Get(ctx, HostPrefix+cert.Subject.CommonName, &h)
	if errors.Is(err, store.ErrNotFound) || (err == nil && h.CertSerial != cert.SerialNumber.Text(16)) {
		return nil, (&awserr.Error{Code: CodeUnknownHost,
			Message: fmt.Sprintf("keks has no host %q with this certificate: it was deleted; join again with a new token", cert.Subject.CommonName)}).
			WithStatus(http.StatusForbidden)
	} else if err != nil {
		return nil, fmt.Errorf("read host %s: %w", cert.Subject.CommonName, err)
	}
	return &h, nil
}

// RecordHeartbeat records a host's report and the time it came.
func (s *Service) RecordHeartbeat(ctx context.Context, id string, hb Heartbeat) (*HostStatus, error) {
	if err := checkReport(hb.Addresses, hb.Capacity, hb.AgentVersion); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	h, err := store.Mutate(ctx, s.Store, HostPrefix+id, func(h *Host) error {
		h.Addresses, h.Capacity, h.LastHeartbeat = hb.Addresses, hb.Capacity, now
		if hb.AgentVersion != "" {
			h.AgentVersion = hb.AgentVersion
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, (&awserr.Error{Code: CodeUnknownHost, Message: fmt.Sprintf("keks has no host %q: it was deleted", id)}).WithStatus(http.StatusForbidden)
	} else if err != nil {
		return nil, fmt.Errorf("record heartbeat of %s: %w", id, err)
	}
	return &HostStatus{Host: *h, State: h.State(now)}, nil
}

// ListHosts lists every host with its state, by id.
func (s *Service) ListHosts(ctx context.Context) ([]HostStatus, error) {
	all, err := store.List[Host](ctx, s.Store, HostPrefix)
	if err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	now := s.now()
	out := make([]HostStatus, 0, len(all))
	for _, h := range all {
		out = append(out, HostStatus{Host: h, State: h.State(now)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

var hostIDShape = regexp.MustCompile(`^host-[0-9a-f]{8}$`)

// DeleteHost forgets a host: its certificate is refused from then on.
// What ran on it ends with it (Service.Removing): in the same transaction,
// or in those just before it when there is more than one may hold.
func (s *Service) DeleteHost(ctx context.Context, id string) error {
	notFound := (&awserr.Error{Code: CodeHostNotFound, Message: fmt.Sprintf("no host %q", id)}).WithStatus(http.StatusNotFound)
	if !hostIDShape.MatchString(id) {
		return notFound
	}
	// Each transaction ends as many of its instances as one may hold
	// (besides the host's own record); the last deletes the host too.
	for more := true; more; {
		err := s.Store.Transact(ctx, func(t *store.Txn) error {
			var h Host
			rev, err := s.Store.Get(ctx, HostPrefix+id, &h)
			if errors.Is(err, store.ErrNotFound) {
				return notFound
			} else if err != nil {
				return fmt.Errorf("read host %s: %w", id, err)
			}
			t.Unchanged(HostPrefix+id, rev)
			more = false
			if s.Removing != nil {
				if more, err = s.Removing(ctx, t, id, store.MaxTxnOps-1); err != nil {
					return err
				}
			}
			if !more {
				t.Delete(HostPrefix + id)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if s.Removed != nil {
		s.Removed(ctx, id)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
