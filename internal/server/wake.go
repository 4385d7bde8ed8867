package server

import (
	"context"

	"github.com/keksdev/keks/internal/store"
)

// wakeOnChange wakes reconcilers whenever a record under prefix changes.
// Records only change when something did (unchanged writes are skipped), so
// an idle keks is not woken by its own passes.
func wakeOnChange(ctx context.Context, st *store.Store, prefix string, wake ...func()) {
	for range st.Watch(ctx, prefix) {
		for _, w := range wake {
			w()
		}
	}
}
