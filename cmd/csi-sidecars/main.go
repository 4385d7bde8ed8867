// csi-sidecars is the one static program of the CSI sidecars keks writes
// itself (kubernetes-csi's are not served by the Go module proxy). Like
// busybox, it runs the sidecar its name says, so an image links it as
// each upstream image's binary and manifests run unchanged:
//
//	/csi-provisioner ARGS...             external-provisioner
//	/csi-resizer ARGS...                 external-resizer
//	/csi-node-driver-registrar ARGS...   node-driver-registrar
//	/livenessprobe ARGS...               livenessprobe
//	csi-sidecars SIDECAR ARGS...         any of them by name
//
// SIGTERM and SIGINT stop the sidecar gracefully; an error exits 1.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/keksdev/keks/internal/csi/livenessprobe"
	"github.com/keksdev/keks/internal/csi/registrar"
	"github.com/keksdev/keks/internal/csi/resizer"
)

// sidecar runs until ctx ends or it fails.
type sidecar func(ctx context.Context, args []string) error

// sidecars by the names of upstream's binaries; provisioner.go adds
// csi-provisioner.
var sidecars = map[string]sidecar{
	"csi-resizer":               resizer.Run,
	"csi-node-driver-registrar": registrar.Run,
	"livenessprobe":             livenessprobe.Run,
}

func main() {
	name, args, err := chooseSidecar(os.Args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "csi-sidecars:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	err = sidecars[name](ctx, args)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// chooseSidecar reads the sidecar from the program's name, or from the
// first argument when the program is called csi-sidecars.
func chooseSidecar(argv []string) (string, []string, error) {
	if len(argv) == 0 {
		return "", nil, fmt.Errorf("no program name; %s", usage())
	}
	name, args := filepath.Base(argv[0]), argv[1:]
	if name == "csi-sidecars" {
		if len(args) == 0 {
			return "", nil, fmt.Errorf("which sidecar? %s", usage())
		}
		name, args = args[0], args[1:]
	}
	if _, ok := sidecars[name]; !ok {
		return "", nil, fmt.Errorf("unknown sidecar %q; %s", name, usage())
	}
	return name, args, nil
}

func usage() string {
	names := make([]string, 0, len(sidecars))
	for name := range sidecars {
		names = append(names, name)
	}
	sort.Strings(names)
	return fmt.Sprintf("run as (or name) one of %v", names)
}
