package controlplane

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/keksdev/keks/internal/kubeversions"
)

// builds tracks Kubernetes builds started for clusters that need a version
// not built yet; a build takes minutes, so it runs apart from reconciles.
type builds struct {
	mu       sync.Mutex
	progress map[string]string // patch -> last progress line
	failed   map[string]buildFailure
	running  map[string]bool
}

// buildFailure is a failed build, held for a while (longer after each
// failure, up to an hour) so that clusters asking for the version fail at
// once instead of each starting a ten-minute build; then it is tried again.
type buildFailure struct {
	err      error
	at       time.Time
	attempts int
}

func (f buildFailure) holds() bool {
	return time.Since(f.at) < min(time.Duration(1<<min(f.attempts-1, 4))*5*time.Minute, time.Hour)
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
		b.progress, b.failed, b.running = map[string]string{}, map[string]buildFailure{}, map[string]bool{}
	}
	if f, ok := b.failed[v.Patch]; ok && f.holds() {
		return false, "", f.err
	}
	if !b.running[v.Patch] {
		// The build takes minutes: it must not end with the reconcile that
		// started it (whose context ends when it returns "not ready yet"),
		// or each pass would start it again and kill it at once.
		c.mu.Lock()
		if c.runCtx != nil {
			ctx = c.runCtx
		}
		c.mu.Unlock()
		b.running[v.Patch] = true
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			err := c.cfg.K8s.Build(ctx, v, progressWriter{b, v.Patch, c})
			b.mu.Lock()
			b.running[v.Patch] = false
			switch {
			case err == nil:
				delete(b.failed, v.Patch)
			case ctx.Err() == nil:
				b.failed[v.Patch] = buildFailure{err: fmt.Errorf("build Kubernetes %s: %w", v.Patch, err), at: time.Now(), attempts: b.failed[v.Patch].attempts + 1}
			}
			b.mu.Unlock()
			onDone()
		}()
	}
	return false, fmt.Sprintf("building Kubernetes %s: %s", v.Patch, b.progress[v.Patch]), nil
}
