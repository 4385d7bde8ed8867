package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/client"
	"github.com/keksdev/keks/internal/controlplane"
)

func newInstancesCommand() *cobra.Command {
	var profile, output, cluster string
	cmd := &cobra.Command{
		Use:   "instances",
		Short: "List every control-plane instance keks runs: cluster, role, zone, address, pid, health, version",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client.New(profile)
			if err != nil {
				return err
			}
			var resp struct {
				Instances []controlplane.InstanceStatus `json:"instances"`
			}
			if err := c.Operator(cmd.Context(), "/keks/v1/control-plane-instances", &resp); err != nil {
				return err
			}
			rows := resp.Instances[:0]
			for _, r := range resp.Instances {
				if cluster == "" || r.Cluster == cluster {
					rows = append(rows, r)
				}
			}
			if output == "json" {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"instances": rows})
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CLUSTER\tINSTANCE\tROLE\tZONE\tADDRESS\tWHERE\tHEALTH\tVERSION\tREPLACED\tMEMORY (PSS)")
			for _, r := range rows {
				health := "healthy"
				switch {
				case !r.Running:
					health = "down"
				case !r.Healthy:
					health = "unhealthy"
				}
				// A process on keks's host, or pods in a management cluster's
				// namespace (kubectl -n NS get pods -l keks.dev/member=INSTANCE).
				where, memory := fmt.Sprintf("pid %d", r.PID), fmt.Sprintf("%dMi", r.PSS>>20)
				if r.Runtime == controlplane.RuntimeKubernetes {
					where, memory = "pods in "+r.Namespace, "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.Cluster, r.Name, r.Role, r.Zone, r.Address, where, health, r.Version, r.Replaced, memory)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "keks", "AWS CLI profile keks server wrote")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	cmd.Flags().StringVar(&cluster, "cluster", "", "only this cluster")
	return cmd
}
