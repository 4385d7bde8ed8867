package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/lb"
)

func newLBCommand() *cobra.Command {
	var config string
	cmd := &cobra.Command{
		Use:    "lb",
		Short:  "Run a cluster endpoint's load balancer (started by keks server)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := newLogger("info").With("component", "lb")
			cfg, err := lb.LoadConfig(config)
			if err != nil {
				return err
			}
			b, err := lb.New(cfg, log)
			if err != nil {
				return err
			}
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			go func() {
				for range hup {
					next, err := lb.LoadConfig(config)
					if err == nil {
						err = b.Reload(next)
					}
					if err != nil {
						log.Error("reload failed; keeping the old configuration", "err", err)
					} else {
						log.Info("configuration reloaded")
					}
				}
			}()
			return b.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "configuration file")
	return cmd
}
