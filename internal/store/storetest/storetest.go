// Package storetest gives tests a store of their own: an embedded etcd in
// the test's temporary directory, closed when the test ends.
package storetest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/store"
)

// Open starts an embedded store for t.
func Open(t testing.TB) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.OpenEmbedded(ctx, t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}
