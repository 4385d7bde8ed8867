package controlplane

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/keksdev/keks/internal/kubeversions"
)

// builds tracks Kubernetes builds started for clusters that need a version
// not built yet; a build takes minutes, so it runs apart from reconciles.
type builds struct {
	mu       sync.Mutex
	progress map[string]string // patch -> last progress line
	failed   map[string]error
	running  map[string]bool
}

type progressWriter struct {
	b     *builds
	patch string
	c     *Controller
}

func (w progressWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	w.b.mu.Lock()
	w.b.progress[w.patch] = line
	w.b.mu.Unlock()
	w.c.log.Info("building Kubernetes", "version", w.patch, "progress", line)
	return len(p), nil
}

// ensureBuilt starts a build of v in the background if needed and reports
// whether v is ready, or the build's failure, or its latest progress.
func (c *Controller) ensureBuilt(ctx context.Context, v kubeversions.Version, onDone func()) (ready bool, progress string, err error) {
	if c.cfg.K8s.Built(v) {
		return true, "", nil
	}
	b := &c.builds
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.progress == nil {
		b.progress, b.failed, b.running = map[string]string{}, map[string]error{}, map[string]bool{}
	}
	if err := b.failed[v.Patch]; err != nil {
		return false, "", err
	}
	if !b.running[v.Patch] {
		b.running[v.Patch] = true
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			err := c.cfg.K8s.Build(ctx, v, progressWriter{b, v.Patch, c})
			b.mu.Lock()
			b.running[v.Patch] = false
			if err != nil && ctx.Err() == nil {
				b.failed[v.Patch] = fmt.Errorf("build Kubernetes %s: %w", v.Patch, err)
			}
			b.mu.Unlock()
			onDone()
		}()
	}
	return false, fmt.Sprintf("building Kubernetes %s: %s", v.Patch, b.progress[v.Patch]), nil
}
