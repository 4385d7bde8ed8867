package insights

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/loop"
	"github.com/keksdev/keks/internal/store"
)

// Source reads a cluster from inside: what its API servers say of
// deprecated API use, and its nodes' kubelets.
type Source interface {
	DeprecatedAPIs(ctx context.Context, clusterUID string) ([]DeprecatedUse, error)
	Nodes(ctx context.Context, clusterUID string) ([]Node, error)
}

// Prefix is where the store keeps the insights records, one per cluster.
// Not under eks/: a refresh must not wake the EKS reconcilers.
const Prefix = "insights/"

func recordKey(clusterUID string) string { return Prefix + clusterUID }

const (
	// MaxAge is how old ListInsights lets a refresh get before it asks for
	// another (EKS refreshes daily; keks sooner, as its clusters live short).
	MaxAge = 5 * time.Minute
	// lookBack is how long a deprecated API's use counts, as EKS's 30 days.
	lookBack = 30 * 24 * time.Hour
	// readTimeout bounds one refresh's reads of a cluster: one that cannot
	// be reached gives UNKNOWN, not a request left hanging.
	readTimeout = 15 * time.Second
	// idlePeriod paces the worker when nobody asks: it forgets the records
	// of deleted clusters.
	idlePeriod = 10 * time.Minute
)

// Service keeps clusters' insights: refreshes them (from the worker, so
// the API answers from the store), lists and describes them.
type Service struct {
	*loop.Loop
	store  *store.Store
	eks    *eks.Service
	source Source // nil: the checks that read the cluster say UNKNOWN
	log    *slog.Logger
	// Audit, if set, gives the deprecated APIs' clients (clientStats) and
	// more uses, from the API servers' audit logs.
	Audit Audit

	mu     sync.Mutex
	queued map[string]bool // cluster UIDs the worker is to refresh
}

// New makes the insights service; source may be nil.
func New(st *store.Store, e *eks.Service, source Source, log *slog.Logger) *Service {
	return &Service{Loop: loop.New(), store: st, eks: e, source: source, log: log, queued: map[string]bool{}}
}

// Run refreshes what was asked for until ctx ends; it is the owner of
// every background refresh.
func (s *Service) Run(ctx context.Context) error {
	return s.Loop.Run(ctx, idlePeriod, s.pass)
}

func (s *Service) pass(ctx context.Context) {
	s.mu.Lock()
	uids := make([]string, 0, len(s.queued))
	for uid := range s.queued {
		uids = append(uids, uid)
	}
	s.queued = map[string]bool{}
	s.mu.Unlock()
	all, err := s.eks.ListAllClusters(ctx)
	if err != nil {
		s.log.Warn("list clusters for insights", "err", err)
		return
	}
	live := map[string]*eks.Cluster{}
	for i := range all {
		live[all[i].UID] = &all[i]
	}
	for _, uid := range uids {
		if c := live[uid]; c != nil {
			if _, err := s.Refresh(ctx, c); err != nil && ctx.Err() == nil {
				s.log.Warn("refresh insights", "cluster", c.Name, "err", err)
			}
		}
	}
	records, err := store.List[Record](ctx, s.store, Prefix)
	if err != nil {
		s.log.Warn("list insights records", "err", err)
		return
	}
	for _, r := range records {
		if live[r.ClusterUID] == nil {
			if err := s.store.Delete(ctx, recordKey(r.ClusterUID)); err != nil {
				s.log.Warn("forget the insights of a deleted cluster", "cluster", r.ClusterUID, "err", err)
			}
		}
	}
}

// queue asks the worker for a refresh of c and marks one IN_PROGRESS.
func (s *Service) queue(ctx context.Context, c *eks.Cluster) (*Record, error) {
	now := s.eks.SupportTime().UTC()
	rec, err := store.Mutate(ctx, s.store, recordKey(c.UID), func(r *Record) error {
		if r.RefreshStatus != RefreshInProgress {
			r.ClusterUID, r.RefreshStarted, r.RefreshEnded, r.RefreshStatus, r.RefreshMessage = c.UID, now, time.Time{}, RefreshInProgress, "Insights refresh is in progress."
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		rec = &Record{ClusterUID: c.UID, RefreshStarted: now, RefreshStatus: RefreshInProgress, RefreshMessage: "Insights refresh is in progress."}
		err = s.store.Create(ctx, recordKey(c.UID), rec)
		if errors.Is(err, store.ErrExists) {
			return s.queue(ctx, c) // created meanwhile
		}
	}
	if err != nil {
		return nil, fmt.Errorf("queue an insights refresh of cluster %s: %w", c.Name, err)
	}
	s.mu.Lock()
	s.queued[c.UID] = true
	s.mu.Unlock()
	s.Wake()
	return rec, nil
}

// Refresh reads the cluster, runs the checks for its next minor version
// and stores the result.
func (s *Service) Refresh(ctx context.Context, c *eks.Cluster) (*Record, error) {
	started := s.eks.SupportTime().UTC()
	target, err := NextMinor(c.Spec.Version)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	var prev Record
	if _, err := s.store.Get(ctx, recordKey(c.UID), &prev); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	o := Observed{Cluster: c, Target: target, Now: started}
	rctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	var uses []DeprecatedUse
	if s.source == nil {
		o.SeenErr, o.NodesErr = errors.New("keks reads no cluster here"), errors.New("keks reads no cluster here")
	} else {
		uses, o.SeenErr = s.source.DeprecatedAPIs(rctx, c.UID)
		o.Nodes, o.NodesErr = s.source.Nodes(rctx, c.UID)
	}
	if s.Audit != nil {
		// The audit log's timestamps are the API servers': real time, not
		// the version lifecycle's clock.
		stats, more, err := s.Audit.DeprecatedRequests(rctx, c.UID, time.Now().Add(-lookBack))
		if err != nil {
			s.log.Debug("no audit log to read clients of deprecated APIs from", "cluster", c.Name, "err", err)
		}
		o.ClientStats = stats
		uses = append(uses, more...)
	}
	o.Seen = remember(prev.Seen, uses, c.Spec.Version, started)
	o.Addons, o.AddonsErr = s.eks.Addons(ctx, c.UID)
	ended := s.eks.SupportTime().UTC()
	rec := &Record{ClusterUID: c.UID, Seen: o.Seen, RefreshStarted: started, RefreshEnded: ended, RefreshStatus: RefreshCompleted,
		RefreshMessage: "Insights refresh completed successfully."}
	if o.SeenErr != nil {
		// What was seen before still counts; the scrape's failure shows as
		// UNKNOWN only while nothing was ever seen.
		if len(o.Seen) > 0 {
			o.SeenErr = nil
		}
	}
	for _, in := range Evaluate(o) {
		in.LastRefreshTime, in.LastTransitionTime = ended, ended
		for _, p := range prev.Insights {
			if p.ID == in.ID && p.Status == in.Status && !p.LastTransitionTime.IsZero() {
				in.LastTransitionTime = p.LastTransitionTime
			}
		}
		rec.Insights = append(rec.Insights, in)
	}
	if err := s.store.Put(ctx, recordKey(c.UID), rec); err != nil {
		return nil, fmt.Errorf("store the insights of cluster %s: %w", c.Name, err)
	}
	return rec, nil
}

// remember merges what the API servers report now into what was seen
// before: the gauges start over when an API server restarts, and EKS looks
// back 30 days. APIs the cluster's version no longer serves are dropped.
func remember(prev []Seen, now []DeprecatedUse, version string, at time.Time) []Seen {
	key := func(g, v, r, sub string) string {
		return useKey(DeprecatedUse{Group: g, Version: v, Resource: r, Subresource: sub})
	}
	byKey := map[string]*Seen{}
	var out []*Seen
	for i := range prev {
		p := prev[i]
		if at.Sub(p.LastSeen) > lookBack {
			continue
		}
		byKey[key(p.Group, p.Version, p.Resource, p.Subresource)] = &p
		out = append(out, &p)
	}
	for _, u := range now {
		k := key(u.Group, u.Version, u.Resource, u.Subresource)
		if s := byKey[k]; s != nil {
			s.LastSeen, s.RemovedRelease = at, u.RemovedRelease
			continue
		}
		s := &Seen{Group: u.Group, Version: u.Version, Resource: u.Resource, Subresource: u.Subresource, RemovedRelease: u.RemovedRelease, FirstSeen: at, LastSeen: at}
		byKey[k] = s
		out = append(out, s)
	}
	var kept []Seen
	for _, s := range out {
		if s.RemovedRelease != "" && !kubeversions.Less(version, s.RemovedRelease) {
			continue // removed by now: nothing can use it any more
		}
		kept = append(kept, *s)
	}
	sort.Slice(kept, func(i, j int) bool { return apiPath(kept[i]) < apiPath(kept[j]) })
	return kept
}

// BeforeUpgrade refreshes a cluster's insights before its automatic
// upgrade to version to, and names those not PASSING.
func (s *Service) BeforeUpgrade(ctx context.Context, c *eks.Cluster, to string) ([]string, error) {
	rec, err := s.Refresh(ctx, c)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, in := range rec.Insights {
		if in.KubernetesVersion == to && in.Status != StatusPassing {
			out = append(out, in.Name+": "+in.Status)
		}
	}
	check := &UpgradeCheck{At: rec.RefreshEnded, From: c.Spec.Version, To: to, NotPassing: out}
	if _, err := store.Mutate(ctx, s.store, recordKey(c.UID), func(r *Record) error { r.BeforeUpgrade = check; return nil }); err != nil {
		return out, fmt.Errorf("record the insights before the upgrade of cluster %s: %w", c.Name, err)
	}
	return out, nil
}

// current returns a cluster's stored insights, refreshing them first when
// there are none (in the request: the answer needs them) and asking the
// worker for a refresh when they are older than MaxAge.
func (s *Service) current(ctx context.Context, c *eks.Cluster) (*Record, error) {
	var rec Record
	_, err := s.store.Get(ctx, recordKey(c.UID), &rec)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && len(rec.Insights) == 0):
		return s.Refresh(ctx, c)
	case err != nil:
		return nil, err
	}
	target, _ := NextMinor(c.Spec.Version)
	stale := s.eks.SupportTime().Sub(rec.RefreshEnded) > MaxAge
	if len(rec.Insights) > 0 && rec.Insights[0].KubernetesVersion != target {
		return s.Refresh(ctx, c) // the cluster moved on: the old target's insights are moot
	}
	if stale && rec.RefreshStatus != RefreshInProgress {
		if _, err := s.queue(ctx, c); err != nil {
			s.log.Warn("queue an insights refresh", "cluster", c.Name, "err", err)
		}
	}
	return &rec, nil
}

// List returns a cluster's insights that pass filter, a page at a time.
func (s *Service) List(ctx context.Context, region, cluster string, f Filter, maxResults int, nextToken string) ([]Insight, string, error) {
	c, err := s.eks.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, "", err
	}
	rec, err := s.current(ctx, c)
	if err != nil {
		return nil, "", err
	}
	byID := map[string]Insight{}
	var ids []string
	for _, in := range rec.Insights {
		if matches(f.Categories, in.Category) && matches(f.KubernetesVersions, in.KubernetesVersion) && matches(f.Statuses, in.Status) {
			byID[in.ID] = in
			ids = append(ids, in.ID)
		}
	}
	page, next, err := eks.Page(ids, maxResults, nextToken)
	if err != nil {
		return nil, "", err
	}
	out := make([]Insight, 0, len(page))
	for _, id := range page {
		out = append(out, byID[id])
	}
	return out, next, nil
}

func matches(want []string, v string) bool { return len(want) == 0 || slices.Contains(want, v) }

// Describe returns one insight of a cluster.
func (s *Service) Describe(ctx context.Context, region, cluster, id string) (*Insight, error) {
	c, err := s.eks.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, err
	}
	rec, err := s.current(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, in := range rec.Insights {
		if in.ID == id {
			return &in, nil
		}
	}
	return nil, awserr.Errorf(eks.CodeResourceNotFound, "No insight found for id: %s", id).With("clusterName", cluster)
}

// StartRefresh asks for a refresh of a cluster's insights
// (StartInsightsRefresh); one already running is answered as it stands.
func (s *Service) StartRefresh(ctx context.Context, region, cluster string) (*RefreshState, error) {
	c, err := s.eks.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, err
	}
	rec, err := s.queue(ctx, c)
	if err != nil {
		return nil, err
	}
	return &RefreshState{Status: rec.RefreshStatus, Message: rec.RefreshMessage, StartedAt: rec.RefreshStarted}, nil
}

// DescribeRefresh says how the last refresh went (DescribeInsightsRefresh).
func (s *Service) DescribeRefresh(ctx context.Context, region, cluster string) (*RefreshState, error) {
	c, err := s.eks.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, err
	}
	var rec Record
	if _, err := s.store.Get(ctx, recordKey(c.UID), &rec); errors.Is(err, store.ErrNotFound) {
		return nil, awserr.Errorf(eks.CodeResourceNotFound, "No insights refresh found for cluster: %s", cluster).With("clusterName", cluster)
	} else if err != nil {
		return nil, err
	}
	return &RefreshState{Status: rec.RefreshStatus, Message: rec.RefreshMessage, StartedAt: rec.RefreshStarted, EndedAt: rec.RefreshEnded}, nil
}
