package provisioner

import (
	"flag"
	"io"
	"log/slog"
	"strconv"

	"k8s.io/klog/v2"
)

// klog's verbosity levels map onto slog levels below Info: V(n) is
// slog.Level(-n), and --v=n lets through everything down to -n. Upstream's
// manifests run with --v=2 (or 5 when debugging), so the levels below are
// the ones upstream logs the same messages at.
const (
	levelV2 = slog.Level(-2) // what was done: volume created, PV deleted
	levelV4 = slog.Level(-4) // decisions: why a claim or volume is skipped
	levelV5 = slog.Level(-5) // requests and responses
)

func newLogger(o *options, w io.Writer) *slog.Logger {
	handlerOptions := &slog.HandlerOptions{Level: slog.Level(-o.verbosity)}
	if o.loggingFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, handlerOptions))
	}
	return slog.New(slog.NewTextHandler(w, handlerOptions))
}

// routeKlog sends what client-go logs through klog (leader election, watch
// errors, event broadcasting) to log, at the same verbosity. klog is
// process-wide, so only Run, which owns the process, calls this.
func routeKlog(log *slog.Logger, verbosity int) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("v", strconv.Itoa(verbosity))
	klog.SetSlogLogger(log)
}
