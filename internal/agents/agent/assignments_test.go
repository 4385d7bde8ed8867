package agent

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/agents"
)

func TestWatchAssignmentsPassesTheRevisionBackAndHandsOnChanges(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != agents.AssignmentsPath {
			http.Error(w, "wrong call", http.StatusBadRequest)
			return
		}
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		rev := "1"
		switch r.URL.Query().Get("since") {
		case "1":
			rev = "2"
		case "2":
			select { // nothing changes: the poll waits, as keks's would
			case <-r.Context().Done():
			case <-time.After(50 * time.Millisecond):
			}
			rev = "2"
		}
		_ = json.NewEncoder(w).Encode(agents.Assignments{Revision: rev, Instances: []agents.AssignedInstance{{ID: "i-0123456789abcdef0", Want: agents.WantRunning}}})
	}))
	defer ts.Close()
	id := &Identity{State: State{Server: ts.URL}, client: ts.Client()}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan *agents.Assignments, 1)
	done := make(chan error, 1)
	go func() { done <- watchAssignments(ctx, id, time.Millisecond, slog.New(slog.DiscardHandler), out) }()
	deadline := time.After(10 * time.Second)
	for rev := ""; rev != "2"; {
		select {
		case as := <-out:
			rev = as.Revision
			if len(as.Instances) != 1 {
				t.Errorf("assignments %+v", as)
			}
		case <-deadline:
			t.Fatal("revision 2 never handed on")
		}
	}
	// An unchanged answer is not handed on again.
	select {
	case as := <-out:
		t.Errorf("revision %s handed on again", as.Revision)
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("watch ended with %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(queries) < 3 || queries[0] != "wait=30" || queries[1] != "since=1&wait=30" || queries[2] != "since=2&wait=30" {
		t.Errorf("queries %q", queries)
	}
}

func TestWatchAssignmentsEndsWhenKeksForgotTheHost(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_ = json.NewEncoder(w).Encode(map[string]string{"code": agents.CodeUnknownHost, "message": "host-1 was deleted"})
	}))
	defer ts.Close()
	id := &Identity{State: State{Server: ts.URL}, client: ts.Client()}
	err := watchAssignments(context.Background(), id, time.Millisecond, slog.New(slog.DiscardHandler), make(chan *agents.Assignments, 1))
	if !errors.Is(err, errUnknownHost) {
		t.Errorf("want errUnknownHost, got %v", err)
	}
}
