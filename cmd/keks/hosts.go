package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/client"
	"github.com/keksdev/keks/internal/server"
)

func newAgentTokenCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "agent-token", Short: "Join tokens for agents on other hosts"}
	var profile string
	var ttl time.Duration
	create := &cobra.Command{
		Use:   "create",
		Short: "Make a one-time join token and print the `keks agent` line that joins a host with it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client.New(profile)
			if err != nil {
				return err
			}
			var tok server.AgentToken
			if err := c.OperatorDo(cmd.Context(), http.MethodPost, "/keks/v1/agent-tokens", map[string]int64{"ttlSeconds": int64(ttl / time.Second)}, &tok); err != nil {
				return err
			}
			url := tok.AgentsURL
			if url == "" {
				url = "https://<host>:<port>"
				fmt.Fprintln(os.Stderr, "note: this keks serves no agents listener; start keks server with --agents-listen (e.g. 0.0.0.0:4578)")
			} else if strings.Contains(url, "//0.0.0.0:") || strings.Contains(url, "//[::]:") {
				fmt.Fprintln(os.Stderr, "note: keks listens for agents on every address; give the agent one it reaches this host at")
			}
			fmt.Fprintf(os.Stderr, "token expires %s; run on the host to join:\n", tok.Expires.Local().Format(time.RFC3339))
			fmt.Printf("keks agent --server %s --token %s --ca-cert-hash %s --zone <zone>\n", url, tok.Token, tok.CACertHash)
			return nil
		},
	}
	create.Flags().StringVar(&profile, "profile", "keks", "AWS CLI profile keks server wrote")
	create.Flags().DurationVar(&ttl, "ttl", agents.DefaultTokenTTL, "how long the token may be used (it is used once)")
	cmd.AddCommand(create)
	return cmd
}

func newHostsCommand() *cobra.Command {
	var profile, output string
	cmd := &cobra.Command{
		Use:   "hosts",
		Short: "List the hosts whose agents joined keks: zone, state, capacity, last heartbeat, addresses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client.New(profile)
			if err != nil {
				return err
			}
			var resp struct {
				Hosts []agents.HostStatus `json:"hosts"`
			}
			if err := c.Operator(cmd.Context(), "/keks/v1/hosts", &resp); err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(resp)
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tZONE\tSTATE\tCPUS\tMEMORY\tLAST-HEARTBEAT\tADDRESSES")
			for _, h := range resp.Hosts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%dMi\t%s ago\t%s\n", h.ID, h.Zone, h.State, h.Capacity.CPUs, h.Capacity.MemoryBytes>>20,
					time.Since(h.LastHeartbeat).Round(time.Second), strings.Join(h.Addresses, ","))
			}
			return tw.Flush()
		},
	}
	cmd.PersistentFlags().StringVar(&profile, "profile", "keks", "AWS CLI profile keks server wrote")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	cmd.AddCommand(&cobra.Command{
		Use:   "delete ID",
		Short: "Forget a host: its agent's certificate is refused from then on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client.New(profile)
			if err != nil {
				return err
			}
			var out map[string]any
			if err := c.OperatorDo(cmd.Context(), http.MethodDelete, "/keks/v1/hosts/"+args[0], nil, &out); err != nil {
				return err
			}
			fmt.Printf("host %s deleted\n", args[0])
			return nil
		},
	})
	return cmd
}
