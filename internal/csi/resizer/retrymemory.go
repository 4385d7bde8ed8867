package resizer

import (
	"sync"
	"time"
)

// retryMemory is what the resizer remembers between attempts on a PVC,
// which the PVC's status cannot say: whether the last expansion failed for
// good (so a new size may be tried), and since when the same size has been
// infeasible (so it is retried only slowly). Restarting forgets it, which
// costs at most one more call to the driver.
type retryMemory struct {
	mu          sync.Mutex
	finalErrors map[string]bool
	infeasible  map[string]time.Time
	slowRetry   time.Duration
	now         func() time.Time
}

func newRetryMemory(slowRetry time.Duration) *retryMemory {
	return &retryMemory{
		finalErrors: map[string]bool{},
		infeasible:  map[string]time.Time{},
		slowRetry:   slowRetry,
		now:         time.Now,
	}
}

func (m *retryMemory) hadFinalError(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.finalErrors[key]
}

func (m *retryMemory) setFinalError(key string, final bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if final {
		m.finalErrors[key] = true
	} else {
		delete(m.finalErrors, key)
	}
}

// noteInfeasible starts the slow-retry clock of a PVC whose status says
// ControllerResizeInfeasible, unless it is already running.
func (m *retryMemory) noteInfeasible(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.infeasible[key]; !ok {
		m.infeasible[key] = m.now()
	}
}

// slowRetryLeft is how long the same size must still wait; zero once the
// slow-retry interval has passed (the clock then starts again).
func (m *retryMemory) slowRetryLeft(key string) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	since, ok := m.infeasible[key]
	if !ok {
		return 0
	}
	left := m.slowRetry - m.now().Sub(since)
	if left <= 0 {
		delete(m.infeasible, key)
		return 0
	}
	return left
}

func (m *retryMemory) clearInfeasible(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.infeasible, key)
}

func (m *retryMemory) forget(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.finalErrors, key)
	delete(m.infeasible, key)
}
