package controlplane

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// etcdDBSizeMetric is etcd's physically allocated backend size.
const etcdDBSizeMetric = "etcd_mvcc_db_total_size_in_bytes"

// DatabaseSize reads each etcd member's metrics listener, from keks's
// source address as the health probes do, and returns the largest.
func (h *hostRuntime) DatabaseSize(ctx context.Context, st *State) (int64, error) {
	pl := h.placement(st)
	p := h.prober(st.ClusterUID, pl.PKI("ca.crt"), pl.KeksSource())
	return largestDatabase(st, func(inst Instance) (int64, error) {
		return etcdDatabaseSize(ctx, p.plain, "http://"+inst.Address+":2381/metrics")
	})
}

// largestDatabase is the largest database size read of st's etcd members;
// a member that does not answer is left out, unless none does.
func largestDatabase(st *State, read func(Instance) (int64, error)) (int64, error) {
	var largest int64
	answered := 0
	var lastErr error
	for _, inst := range st.Instances {
		if inst.Role != RoleEtcd {
			continue
		}
		n, err := read(inst)
		if err != nil {
			lastErr = err
			continue
		}
		answered++
		largest = max(largest, n)
	}
	if answered == 0 && lastErr == nil {
		return 0, fmt.Errorf("read the etcd database size: the control plane has no etcd member yet")
	}
	if answered == 0 {
		return 0, fmt.Errorf("read the etcd database size: no member answered: %w", lastErr)
	}
	return largest, nil
}

func etcdDatabaseSize(ctx context.Context, c *http.Client, url string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return parseDBSize(bufio.NewScanner(resp.Body))
}

// parseDBSize finds the metric in Prometheus's text format.
func parseDBSize(lines *bufio.Scanner) (int64, error) {
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	for lines.Scan() {
		name, value, ok := strings.Cut(lines.Text(), " ")
		if !ok || name != etcdDBSizeMetric {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", etcdDBSizeMetric, err)
		}
		return int64(f), nil
	}
	if err := lines.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in etcd's metrics", etcdDBSizeMetric)
}

// parseDBSizeFrom reads etcd's metrics exposition from r.
func parseDBSizeFrom(r io.Reader) (int64, error) { return parseDBSize(bufio.NewScanner(r)) }
