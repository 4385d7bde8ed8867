package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/kubeversions"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print keks's version and the Kubernetes versions it offers",
		Run: func(*cobra.Command, []string) {
			fmt.Println("keks dev")
			for _, v := range kubeversions.All() {
				def := ""
				if v.Minor == kubeversions.Default {
					def = " (default)"
				}
				fmt.Printf("  Kubernetes %s -> %s%s\n", v.Minor, v.Patch, def)
			}
		},
	}
}
