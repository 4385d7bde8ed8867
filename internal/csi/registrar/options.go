package registrar

import (
	"errors"
	"flag"
	"strconv"
	"time"

	"github.com/keksdev/keks/internal/csi/sidecar"
)

// modeRegistrationProbe is the deprecated exec-probe mode manifests still
// use (aws-ebs-csi-driver's among them); upstream answers it with success
// at once, as the probe it stood for is not needed any more.
const modeRegistrationProbe = "kubelet-registration-probe"

// options are node-driver-registrar's command line, under the same names
// and defaults.
type options struct {
	csiAddress              string
	kubeletRegistrationPath string
	pluginRegistrationPath  string
	healthPort              int
	httpEndpoint            string
	mode                    string
	timeout                 time.Duration
	verbosity               int
	enablePprof             bool
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("csi-node-driver-registrar", flag.ContinueOnError)
	fs.StringVar(&o.csiAddress, "csi-address", "/run/csi/socket", "Path of the CSI driver socket the registrar connects to.")
	fs.StringVar(&o.kubeletRegistrationPath, "kubelet-registration-path", "", "Path of the CSI driver socket on the host, which the kubelet dials.")
	fs.StringVar(&o.pluginRegistrationPath, "plugin-registration-path", "/registration", "Path of the kubelet's plugin registration directory.")
	fs.IntVar(&o.healthPort, "health-port", 0, "(deprecated) TCP port of /healthz; 0 disables it. Only one of --health-port and --http-endpoint can be set.")
	fs.StringVar(&o.httpEndpoint, "http-endpoint", "", "Address of the HTTP server of /healthz (e.g. :8080); empty disables it.")
	fs.StringVar(&o.mode, "mode", "", "DEPRECATED. kubelet-registration-probe exits successfully at once.")
	fs.DurationVar(&o.timeout, "timeout", time.Second, "Timeout of each call to the CSI driver.")
	fs.IntVar(&o.verbosity, "v", 0, "Log verbosity; 4 and above logs debug messages.")
	fs.BoolVar(&o.enablePprof, "enable-pprof", false, "Serve pprof on the HTTP server.")
	fs.Duration("connection-timeout", 0, "Deprecated and ignored, as upstream.")
	if err := sidecar.ParseFlags(fs, args, "csi-node-driver-registrar (keks)"); err != nil {
		return options{}, err
	}
	if o.healthPort > 0 && o.httpEndpoint != "" {
		return options{}, errors.New("only one of --health-port and --http-endpoint can be set")
	}
	return o, nil
}

// healthAddress is where /healthz is served, if anywhere.
func (o options) healthAddress() string {
	if o.healthPort > 0 {
		return ":" + strconv.Itoa(o.healthPort)
	}
	return o.httpEndpoint
}
