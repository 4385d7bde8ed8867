package livenessprobe

import (
	"errors"
	"flag"
	"net"
	"time"

	"github.com/keksdev/keks/internal/csi/sidecar"
)

const defaultHealthPort = "9808"

// options are livenessprobe's command line, under the same names.
type options struct {
	csiAddress   string
	healthPort   string
	httpEndpoint string
	probeTimeout time.Duration
	verbosity    int
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("livenessprobe", flag.ContinueOnError)
	fs.StringVar(&o.csiAddress, "csi-address", "/run/csi/socket", "Address of the CSI driver socket.")
	fs.StringVar(&o.healthPort, "health-port", defaultHealthPort, "(deprecated) TCP port of /healthz. If set, --http-endpoint cannot be.")
	fs.StringVar(&o.httpEndpoint, "http-endpoint", "", "Address of the HTTP server of /healthz; overrides --health-port.")
	fs.DurationVar(&o.probeTimeout, "probe-timeout", time.Second, "Timeout of each Probe of the CSI driver.")
	fs.IntVar(&o.verbosity, "v", 0, "Log verbosity; 4 and above logs each probe.")
	// Accepted so upstream manifests run unchanged; keks's livenessprobe
	// serves no metrics.
	fs.String("metrics-address", "", "Ignored: accepted for compatibility with livenessprobe.")
	fs.String("metrics-path", "/metrics", "Ignored: accepted for compatibility with livenessprobe.")
	if err := sidecar.ParseFlags(fs, args, "livenessprobe (keks)"); err != nil {
		return options{}, err
	}
	if o.healthPort != defaultHealthPort && o.httpEndpoint != "" {
		return options{}, errors.New("only one of --health-port and --http-endpoint can be explicitly set")
	}
	return o, nil
}

// address is where /healthz is served.
func (o options) address() string {
	if o.httpEndpoint != "" {
		return o.httpEndpoint
	}
	return net.JoinHostPort("0.0.0.0", o.healthPort)
}
