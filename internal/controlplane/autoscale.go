package controlplane

import (
	"fmt"
	"math"
	"time"
)

// The control plane's autoscaler: every sampleInterval keks reads each API
// server's request counter, requests in flight and node count, works out
// how many API servers that load wants, and changes the layout's count the
// way a HorizontalPodAutoscaler does: up only once the load has wanted more
// for scaleUpWindow, down only to the most any recommendation of the last
// scaleDownWindow wanted. The cluster's scaling tier is the floor: its
// API servers keep its seats whatever the load.

// ScalingPolicy is when the control plane grows and shrinks.
type ScalingPolicy struct {
	// RequestsPerAPIServer is the request rate (per second) one standard
	// API server is given before another is added; a tier's API server,
	// which holds more seats, is given more in proportion.
	RequestsPerAPIServer float64
	// InflightShare is the share of its seats one API server may have in
	// use before another is added.
	InflightShare float64
	// ScaleUpWindow and ScaleDownWindow are how long the load must have
	// wanted more (fewer) API servers before they are added (removed).
	ScaleUpWindow, ScaleDownWindow time.Duration
}

// DefaultScalingPolicy is sized for the small hosts keks runs on: a
// standard API server on one core serves some hundreds of simple requests
// a second, so a second hundred sustained is the sign to spread the load.
var DefaultScalingPolicy = ScalingPolicy{RequestsPerAPIServer: 100, InflightShare: 0.5, ScaleUpWindow: 20 * time.Second, ScaleDownWindow: 2 * time.Minute}

// sampleInterval is how often the API servers' load is read while it
// matters: often enough to scale within half a minute. calmInterval is how
// often while the control plane is at its floor and the load well under
// what would add an API server: kube-apiserver's metrics are megabytes of
// text to make and to read, which an idle cluster should not pay for
// every 10 s.
const (
	sampleInterval = 10 * time.Second
	calmInterval   = 30 * time.Second
)

// nodeFloors are the API servers a cluster of that many nodes keeps, as
// EKS sizes its control planes by node count too.
var nodeFloors = []struct {
	nodes   float64
	servers int
}{{1000, 5}, {300, 4}, {100, 3}}

// clusterLoad is the load of a control plane's API servers together.
type clusterLoad struct {
	rate     float64 // requests per second
	inflight float64
	nodes    float64
}

// recommendation is how many API servers the load at one time wanted.
type recommendation struct {
	at      time.Time
	servers int
	why     string
}

// loadHistory is what the autoscaler remembers of one control plane
// between passes. It is not stored: after a restart the windows start over,
// which can only delay a change.
type loadHistory struct {
	last        map[string]loadSample // API server instance -> its last sample
	sampled     time.Time
	calm        bool // the last sample wanted the floor, at under half its rate
	sizeChecked time.Time
	warned      time.Time
	recs        []recommendation
}

// observe folds a round of samples into the load of the whole control
// plane: each API server's rate since its previous sample. A server seen
// for the first time, or whose counter went back (it restarted), adds its
// requests in flight but no rate until its next sample.
func (h *loadHistory) observe(samples map[string]loadSample) (clusterLoad, bool) {
	var l clusterLoad
	rated := false
	for name, s := range samples {
		l.inflight += s.inflight
		l.nodes = math.Max(l.nodes, s.nodes)
		prev, ok := h.last[name]
		if dt := s.at.Sub(prev.at).Seconds(); ok && dt > 0 && s.requests >= prev.requests {
			l.rate += (s.requests - prev.requests) / dt
			rated = true
		}
	}
	h.last = samples
	return l, rated
}

// want is how many API servers load asks for, floor at least, at most
// maxAPIServers; seats are one API server's, the tier's share.
func (p ScalingPolicy) want(l clusterLoad, floor int, seats float64) (int, string) {
	perServer := p.RequestsPerAPIServer * seats / kubeAPIServerSeats
	n, why := floor, "the floor"
	byRate := int(math.Ceil(l.rate / perServer))
	if byRate > n {
		n, why = byRate, fmt.Sprintf("%.0f requests/s, %.0f per API server at most", l.rate, perServer)
	}
	byInflight := int(math.Ceil(l.inflight / (p.InflightShare * seats)))
	if byInflight > n {
		n, why = byInflight, fmt.Sprintf("%.0f requests in flight, %.0f per API server at most", l.inflight, p.InflightShare*seats)
	}
	for _, f := range nodeFloors {
		if l.nodes >= f.nodes && f.servers > n {
			n, why = f.servers, fmt.Sprintf("%.0f nodes", l.nodes)
			break
		}
	}
	return min(n, maxAPIServers), why
}

// decide records what the load wants now and returns the count to run: up
// to the least any recommendation of the scale-up window wanted once that
// window is full, down to the most any of the scale-down window wanted.
func (p ScalingPolicy) decide(h *loadHistory, r recommendation, current, floor int) (int, string) {
	h.recs = append(h.recs, r)
	// The oldest kept is the newest that is at least the longer window
	// old: it proves the window is covered, whatever the samples' spacing.
	keep := max(p.ScaleUpWindow, p.ScaleDownWindow)
	for len(h.recs) > 1 && r.at.Sub(h.recs[1].at) >= keep {
		h.recs = h.recs[1:]
	}
	if current < floor {
		return floor, "the floor"
	}
	if up, ok := p.least(h, r.at, p.ScaleUpWindow); ok && up > current {
		return up, r.why
	}
	if down, ok := p.most(h, r.at, p.ScaleDownWindow); ok && down < current {
		return max(down, floor), r.why
	}
	return current, ""
}

// window is the recommendations in force over the last d: those made in it
// and the one before, which was in force when it began. ok only when there
// is one before, so that the whole window is covered.
func window(h *loadHistory, now time.Time, d time.Duration) (recs []recommendation, ok bool) {
	for i := len(h.recs) - 1; i >= 0; i-- {
		recs = append(recs, h.recs[i])
		if now.Sub(h.recs[i].at) >= d {
			return recs, true
		}
	}
	return nil, false
}

// least is the fewest servers any recommendation in force over the last d
// wanted.
func (p ScalingPolicy) least(h *loadHistory, now time.Time, d time.Duration) (int, bool) {
	recs, ok := window(h, now, d)
	n := math.MaxInt
	for _, r := range recs {
		n = min(n, r.servers)
	}
	return n, ok
}

// most is the most servers any recommendation in force over the last d
// wanted.
func (p ScalingPolicy) most(h *loadHistory, now time.Time, d time.Duration) (int, bool) {
	recs, ok := window(h, now, d)
	n := 0
	for _, r := range recs {
		n = max(n, r.servers)
	}
	return n, ok
}
