package agent

import (
	"os"
	"testing"
)

func TestMemTotal(t *testing.T) {
	got, err := memTotal([]byte("MemFree:  100 kB\nMemTotal:       16314196 kB\nBuffers: 1 kB\n"))
	if err != nil || got != 16314196*1024 {
		t.Fatalf("memTotal = %d, %v; want 16314196 KiB in bytes", got, err)
	}
	for _, bad := range []string{"", "MemTotal: 12\n", "MemTotal: x kB\n", "MemFree: 1 kB\n"} {
		if _, err := memTotal([]byte(bad)); err == nil {
			t.Errorf("memTotal(%q) accepted", bad)
		}
	}
	if _, err := os.Stat("/proc/meminfo"); err == nil {
		c, err := capacity(Config{})
		if err != nil || c.CPUs < 1 || c.MemoryBytes < 1<<20 {
			t.Fatalf("this host's capacity: %+v, %v", c, err)
		}
	}
}
