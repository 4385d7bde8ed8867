package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/kubeversions"
)

func newBuildKubernetesCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "build-kubernetes [VERSION...]",
		Short: "Build the Kubernetes components of the given versions (default: the default version) and CoreDNS",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{kubeversions.Default}
			}
			for _, a := range args {
				v, ok := kubeversions.Lookup(a)
				if !ok {
					return fmt.Errorf("unknown Kubernetes version %q (known: %s)", a, knownVersions())
				}
				if k8sbuild.Dir(dir).Built(v) {
					fmt.Fprintf(os.Stderr, "Kubernetes %s already built in %s\n", v.Patch, k8sbuild.Dir(dir).BinDir(v))
					continue
				}
				if err := k8sbuild.Dir(dir).Build(cmd.Context(), v, os.Stderr); err != nil {
					return err
				}
			}
			// The coredns add-on every cluster gets runs this build.
			return k8sbuild.Dir(dir).BuildCoreDNS(cmd.Context(), os.Stderr)
		},
	}
	cmd.Flags().StringVar(&dir, "k8s-dir", defaultK8sDir(), "directory of Kubernetes builds")
	return cmd
}

func knownVersions() string {
	s := ""
	for i, v := range kubeversions.All() {
		if i > 0 {
			s += ", "
		}
		s += v.Minor
	}
	return s
}
