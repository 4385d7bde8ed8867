package cwlogs

import (
	"context"
	"errors"
	"fmt"
)

// Sink is CloudWatch Logs as keks's own log shipping writes to it (Service).
type Sink interface {
	EnsureLogStream(ctx context.Context, account, region, group, stream string) error
	Append(ctx context.Context, account, region, group, stream string, events []Event) error
}

// StreamWriter appends events to log streams, making a group and stream
// first when they are not known to exist (a user may delete them at any
// time, so a failed append makes them again once). Dropped events (too old,
// too large...) are not an error: the rest were stored. Not safe for
// concurrent use: each shipper has its own.
type StreamWriter struct {
	Sink    Sink
	ensured map[string]bool
}

// Write appends events to account/region/group/stream.
func (w *StreamWriter) Write(ctx context.Context, account, region, group, stream string, events []Event) error {
	if w.ensured == nil {
		w.ensured = map[string]bool{}
	}
	key := account + "/" + region + "/" + group + "/" + stream
	for attempt := 0; ; attempt++ {
		if !w.ensured[key] {
			if err := w.Sink.EnsureLogStream(ctx, account, region, group, stream); err != nil {
				return fmt.Errorf("make %s %s: %w", group, stream, err)
			}
			w.ensured[key] = true
		}
		err := w.Sink.Append(ctx, account, region, group, stream, events)
		var dropped *DroppedEventsError
		switch {
		case err == nil, errors.As(err, &dropped):
			return nil
		case attempt == 0:
			delete(w.ensured, key) // perhaps deleted: make it again once
		default:
			return err
		}
	}
}
