package controlplane

import (
	"context"
	"net/http"
	"time"

	"github.com/keksdev/keks/internal/eks"
)

// loadSampler is a runtime that reads its API servers' load. The host
// runtime does; on the kubernetes runtime the API servers are reached only
// through the endpoint's Service, which cannot say which one answered.
type loadSampler interface {
	sampleLoad(ctx context.Context, st *State) (map[string]loadSample, error)
}

// autoscale samples an active control plane's load every sampleInterval and
// sets how many API servers its layout has; the change is converged from
// the next pass on.
func (c *Controller) autoscale(ctx context.Context, cl *eks.Cluster, st *State, rt Runtime) {
	if cl.Status.Phase != eks.StatusActive || cl.DeletionRequested {
		return
	}
	h := c.loadHistory(cl.UID)
	c.growEtcdQuota(ctx, cl, st, rt, h)
	sampler, ok := rt.(loadSampler)
	if !ok {
		return
	}
	interval := sampleInterval
	if h.calm {
		interval = calmInterval
	}
	if time.Since(h.sampled) < interval {
		return
	}
	h.sampled = time.Now()
	samples, err := sampler.sampleLoad(ctx, st)
	if err != nil {
		// A round that fails (an API server restarting) only delays a
		// decision; one that keeps failing is worth saying, now and then.
		if time.Since(h.warned) > 5*time.Minute {
			h.warned = time.Now()
			c.log.Warn("control-plane load not read; the control plane is not scaled meanwhile", "cluster", cl.Name, "err", err)
		}
		return
	}
	load, ok := h.observe(samples)
	if !ok {
		return
	}
	seats := kubeAPIServerSeats * seatFactor(cl.Spec.Tier())
	wanted, why := c.policy().want(load, apiServerCount, seats)
	current := st.apiServerInstances()
	n, why := c.policy().decide(h, recommendation{at: time.Now(), servers: wanted, why: why}, current, apiServerCount)
	h.calm = n == apiServerCount && wanted == apiServerCount && load.rate < float64(apiServerCount)*c.policy().RequestsPerAPIServer/2
	if n == current {
		return
	}
	st.APIServers = n
	st.event("kube-apiserver", "scaling from %d to %d API servers: %s", current, n, why)
	c.log.Info("scaling control plane", "cluster", cl.Name, "from", current, "to", n, "why", why)
	c.Enqueue(cl.Region, cl.Name)
}

func (c *Controller) policy() ScalingPolicy {
	if c.cfg.Scaling.RequestsPerAPIServer > 0 {
		return c.cfg.Scaling
	}
	return DefaultScalingPolicy
}

// loadHistory is the cluster's, made on first use.
func (c *Controller) loadHistory(uid string) *loadHistory {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.loads[uid]
	if !ok {
		h = &loadHistory{}
		c.loads[uid] = h
	}
	return h
}

// sampleLoad reads each serving API server's metrics; those draining or
// not yet ready are left out, and one that does not answer fails the round
// (its share of the load would be missing).
func (h *hostRuntime) sampleLoad(ctx context.Context, st *State) (map[string]loadSample, error) {
	s, err := h.scraper(st)
	if err != nil {
		return nil, err
	}
	out := map[string]loadSample{}
	for _, inst := range st.Instances {
		if inst.Role != RoleAPIServer || !inst.Healthy || !inst.DrainingSince.IsZero() {
			continue
		}
		sample, err := s.scrape(ctx, inst.Address)
		if err != nil {
			return nil, err
		}
		out[inst.Name] = sample
	}
	return out, nil
}

// scraper is the cluster's, made once so that its connections are kept.
func (h *hostRuntime) scraper(st *State) (*loadScraper, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.scrapers[st.ClusterUID]; ok {
		return s, nil
	}
	admin, err := h.AdminConfig(st)
	if err != nil {
		return nil, err
	}
	s := &loadScraper{admin: admin, by: map[string]*http.Client{}}
	h.scrapers[st.ClusterUID] = s
	return s, nil
}
