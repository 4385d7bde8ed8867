package server

import (
	"sync"
	"time"

	"github.com/keksdev/keks/internal/agents"
)

// assignmentSources are the store prefixes an agent's assignments are made
// from: instances, subnets, security groups and VNIs (ec2/), clusters and
// add-ons (eks/), and hosts (their addresses are the overlay's peers). A
// change under them wakes every waiting long poll, which decides again;
// an idle keks decides nothing.
var assignmentSources = []string{"ec2/", "eks/", agents.HostPrefix}

// assignmentsRecheck is how often a waiting long poll decides again with
// no change seen: what the assignments read beyond the store (the host's
// own answers) is picked up within it.
const assignmentsRecheck = 30 * time.Second

// changeSignal tells waiters that something changed: next gives a channel
// that the next fire closes. A waiter takes it before it looks, so a change
// while it looks is not missed.
type changeSignal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (s *changeSignal) next() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *changeSignal) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}
