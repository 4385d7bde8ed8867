package agent

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/agents"
)

// capacity is the host's CPUs and memory.
func capacity(cfg Config) (agents.Capacity, error) {
	if cfg.Capacity != nil {
		return cfg.Capacity()
	}
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return agents.Capacity{}, fmt.Errorf("read the host's memory: %w", err)
	}
	mem, err := memTotal(data)
	if err != nil {
		return agents.Capacity{}, err
	}
	return agents.Capacity{CPUs: runtime.NumCPU(), MemoryBytes: mem}, nil
}

// memTotal is /proc/meminfo's MemTotal in bytes (the file says kB: KiB).
func memTotal(meminfo []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			break
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			break
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("/proc/meminfo has no MemTotal line in kB")
}
