package instance

import (
	"fmt"
	"sync"

	"github.com/keksdev/keks/internal/cgroups"
)

// hostCgroups is the driver for this host's cgroup mode, found once: the
// mode changes only with a reboot.
var hostCgroups = sync.OnceValues(func() (cgroups.Driver, error) {
	d, err := cgroups.Host().Driver()
	if err != nil {
		return nil, fmt.Errorf("find the host's cgroup mode: %w", err)
	}
	return d, nil
})

func (s *Spec) limits() cgroups.Limits {
	milli := s.MilliCPUs
	if milli == 0 {
		milli = int64(s.CPUs) * 1000
	}
	return cgroups.Limits{MemoryBytes: s.MemoryBytes, MilliCPUs: milli}
}

// ensureCgroups makes the instance's cgroup root, sized by its instance type.
func ensureCgroups(cg cgroups.Driver, s *Spec) error {
	if err := cg.Ensure(s.cgroupRoot(), s.limits()); err != nil {
		return fmt.Errorf("cgroup of %s: %w", s.ID, err)
	}
	return nil
}

// removeCgroups removes the instance's cgroup root with what the kubelet
// made below it, once its daemons are gone.
func removeCgroups(cg cgroups.Driver, s *Spec) error {
	if err := cg.Remove(s.cgroupRoot()); err != nil {
		return fmt.Errorf("remove cgroups of %s: %w", s.ID, err)
	}
	return nil
}
