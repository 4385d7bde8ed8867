package store

import (
	"context"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// leaderPrefix is where keks replicas campaign (etcd's election recipe:
// each candidate's key under it, held by its session's lease; the oldest
// key leads). It replaces the single-server claim for external stores.
const leaderPrefix = "leader"

// ErrNoLeader means no replica leads the store at the moment.
var ErrNoLeader = errors.New("store: no leader")

// Election is one keks replica's candidacy for leading the store: a
// session (a lease kept alive while the process lives) and its campaign.
type Election struct {
	s        *Store
	session  *concurrency.Session
	election *concurrency.Election
}

// NewElection opens a session whose lease lasts ttl seconds past the last
// keep-alive: how long a replica that died unannounced keeps leading.
func (s *Store) NewElection(ttl int) (*Election, error) {
	session, err := concurrency.NewSession(s.cli, concurrency.WithTTL(ttl))
	if err != nil {
		return nil, fmt.Errorf("store election: open a session: %w", err)
	}
	return &Election{s: s, session: session, election: concurrency.NewElection(session, s.prefix+leaderPrefix)}, nil
}

// Leader is the value the current leader campaigned with.
func (e *Election) Leader(ctx context.Context) (string, error) {
	resp, err := e.election.Leader(ctx)
	if errors.Is(err, concurrency.ErrElectionNoLeader) {
		return "", ErrNoLeader
	}
	if err != nil {
		return "", fmt.Errorf("store election: read the leader: %w", err)
	}
	return string(resp.Kvs[0].Value), nil
}

// Observe sends the leader's value each time it changes ("" while there
// is none, as etcd's Observe skips) until ctx ends.
func (e *Election) Observe(ctx context.Context) <-chan string {
	out := make(chan string)
	go func() {
		defer close(out)
		for resp := range e.election.Observe(ctx) {
			if len(resp.Kvs) == 0 {
				continue
			}
			select {
			case out <- string(resp.Kvs[0].Value):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// Campaign waits until this replica leads, then returns the store fenced
// by that leadership: its writes fail once another replica leads.
func (e *Election) Campaign(ctx context.Context, value string) (*Store, error) {
	if err := e.election.Campaign(ctx, value); err != nil {
		return nil, fmt.Errorf("store election: campaign: %w", err)
	}
	return e.s.Fenced(e.election.Key(), e.election.Rev()), nil
}

// Done is closed when the session's lease is gone (expired, revoked, or
// not kept alive for its TTL): leadership, if held, is lost.
func (e *Election) Done() <-chan struct{} { return e.session.Done() }

// Close resigns and revokes the session's lease, so another replica leads
// at once instead of after the TTL.
func (e *Election) Close() error { return e.session.Close() }

// CandidateValues are the values of every replica campaigning, the
// leader's among them.
func (s *Store) CandidateValues(ctx context.Context) ([]string, error) {
	resp, err := s.cli.Get(ctx, s.prefix+leaderPrefix+"/", clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("store election: list candidates: %w", err)
	}
	out := make([]string, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		out = append(out, string(kv.Value))
	}
	return out, nil
}

// WatchCandidates sends a key each time a replica starts or stops campaigning.
func (s *Store) WatchCandidates(ctx context.Context) <-chan string {
	return s.Watch(ctx, leaderPrefix+"/")
}

// Candidates counts the replicas campaigning, the leader among them.
func (e *Election) Candidates(ctx context.Context) (int64, error) {
	resp, err := e.s.cli.Get(ctx, e.s.prefix+leaderPrefix+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("store election: count candidates: %w", err)
	}
	return resp.Count, nil
}
