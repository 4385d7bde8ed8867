package instance

import (
	"strings"
	"testing"
)

func TestReservedGivesTheInstanceTypesAllocatable(t *testing.T) {
	s := &Spec{MemoryBytes: 4096 << 20, CPUs: 2, MaxPods: 17}
	got := s.reserved()
	// The EKS AMI's reservation for a t3.medium: 70m CPU, 255 + 11 x 17 MiB.
	if !strings.Contains(got, "cpu: 70m") || !strings.Contains(got, "memory: 442Mi") {
		t.Errorf("kubeReserved for a t3.medium:\n%s", got)
	}
	if hostMemoryBytes() > s.MemoryBytes && !strings.Contains(got, "systemReserved:") {
		t.Errorf("the host's memory beyond the instance type is not reserved:\n%s", got)
	}
	if (&Spec{}).reserved() != "" {
		t.Error("an instance without a type reserves something")
	}
}
