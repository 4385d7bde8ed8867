package server

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/store/storetest"
)

// TestSTSHostsNameEveryReplica: a kubeconfig made through a standby
// presigns get-token for the standby's address, so the authenticators must
// accept every replica's, and a single server's list stays as it was.
func TestSTSHostsNameEveryReplica(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := storetest.Open(t)
	hosts := stsHosts(st, "127.0.0.1:4577")
	single := []string{"127.0.0.1:4577", "localhost:4577", "127.0.0.1:4577"}
	if got := hosts(ctx); !slices.Equal(got, single) {
		t.Errorf("a single server: %v, want %v", got, single)
	}
	for _, addr := range []string{"127.0.0.1:4577", "10.0.0.7:4578"} {
		e, err := st.NewElection(5)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close() })
		value := replicaIdentity{Host: "h", DataDir: "/d", PID: 1, Address: addr}
		go func() {
			data, _ := json.Marshal(value)
			_, _ = e.Campaign(ctx, string(data))
		}()
	}
	want := append(single, "10.0.0.7:4578", "localhost:4578", "127.0.0.1:4578")
	deadline := time.Now().Add(10 * time.Second)
	for got := hosts(ctx); !slices.Equal(got, want); got = hosts(ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("with a replica at 10.0.0.7:4578: %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
