package sidecar

import (
	"flag"
	"io"
	"log/slog"
	"strconv"

	"k8s.io/klog/v2"
)

// klog's verbosity levels map onto slog levels below Info: V(n) is
// slog.Level(-n), and --v=n lets through everything down to -n, so
// slog.LevelDebug (-4) is logged from --v=4 up. Upstream's manifests run
// with --v=2 (or 5 when debugging); these are the levels upstream logs the
// same messages at.
const (
	LevelV2 = slog.Level(-2) // what was done: volume created, new leader
	LevelV4 = slog.Level(-4) // decisions: why a claim or volume is skipped
	LevelV5 = slog.Level(-5) // requests and responses
)

// NewLogger writes to w what klog's --v=verbosity would let through, as
// JSON if format is "json" and as text otherwise.
func NewLogger(w io.Writer, verbosity int, format string) *slog.Logger {
	options := &slog.HandlerOptions{Level: slog.Level(-verbosity)}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, options))
	}
	return slog.New(slog.NewTextHandler(w, options))
}

// RouteKlog sends what client-go logs through klog (leader election,
// watch errors, event broadcasting) to log, at the same verbosity. klog is
// process-wide, so only a sidecar's Run, which owns the process, calls
// this.
func RouteKlog(log *slog.Logger, verbosity int) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("v", strconv.Itoa(verbosity))
	klog.SetSlogLogger(log)
}
