package controlplane

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// loadSample is what one API server's /metrics said at one time.
type loadSample struct {
	at time.Time
	// requests is apiserver_request_total summed over its labels: a
	// counter, turned into a rate between two samples.
	requests float64
	// inflight is apiserver_current_inflight_requests, reads and writes.
	inflight float64
	// nodes is apiserver_storage_objects{resource="nodes"}.
	nodes float64
}

// parseLoad reads the metrics it needs from kube-apiserver's text
// exposition line by line: the whole text is megabytes of histograms that
// a full parse would hold in memory for three numbers.
func parseLoad(r io.Reader, at time.Time) (loadSample, error) {
	s := loadSample{at: at}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var into *float64
		switch {
		case strings.HasPrefix(line, "apiserver_request_total{"):
			into = &s.requests
		case strings.HasPrefix(line, "apiserver_current_inflight_requests{"):
			into = &s.inflight
		case strings.HasPrefix(line, `apiserver_storage_objects{resource="nodes"}`):
			into = &s.nodes
		default:
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return loadSample{}, fmt.Errorf("metric line %q: %w", line, err)
		}
		*into += v
	}
	return s, sc.Err()
}

// loadScraper reads one cluster's API servers' /metrics as keks-admin,
// one client per API server so that each keeps its connection.
type loadScraper struct {
	admin *rest.Config
	mu    sync.Mutex
	by    map[string]*http.Client // API server address -> client
}

func (s *loadScraper) client(address string) (*http.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.by[address]; ok {
		return c, nil
	}
	cfg := apiServerConfig(s.admin, address)
	cfg.Timeout = 5 * time.Second
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	s.by[address] = c
	return c, nil
}

// scrape samples the API server at address.
func (s *loadScraper) scrape(ctx context.Context, address string) (loadSample, error) {
	c, err := s.client(address)
	if err != nil {
		return loadSample{}, fmt.Errorf("client of API server %s: %w", address, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+address+":443/metrics", nil)
	if err != nil {
		return loadSample{}, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return loadSample{}, fmt.Errorf("metrics of API server %s: %w", address, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return loadSample{}, fmt.Errorf("metrics of API server %s: %s", address, resp.Status)
	}
	return parseLoad(resp.Body, time.Now())
}

// close drops the scraper's connections.
func (s *loadScraper) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.by {
		c.CloseIdleConnections()
	}
	s.by = map[string]*http.Client{}
}
