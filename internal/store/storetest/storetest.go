// Package storetest gives tests a store of their own: an embedded etcd in
// the test's temporary directory, closed when the test ends.
package storetest

import (
	"context"
	"io"
	"log/slog"
	"os"
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

// Main runs a package's tests (from its TestMain) with one embedded store
// they share: use gets the store before the tests run and may return what
// to do once they have, before the store closes. It exits with the tests'
// code.
func Main(m *testing.M, use func(*store.Store) (after func())) {
	dir, err := os.MkdirTemp("", "keks-test-store-")
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	st, err := store.OpenEmbedded(ctx, dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	cancel()
	if err != nil {
		panic(err)
	}
	after := use(st)
	code := m.Run()
	if after != nil {
		after()
	}
	st.Close()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
