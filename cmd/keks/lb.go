package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

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
			var balancers []*lb.Balancer
			for _, l := range cfg.Listeners() {
				b, err := lb.New(l, log.With("listen", l.Listen))
				if err != nil {
					return err
				}
				balancers = append(balancers, b)
			}
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			go func() {
				for range hup {
					if err := reload(config, balancers); err != nil {
						log.Error("reload failed; keeping the old configuration", "err", err)
					} else {
						log.Info("configuration reloaded")
					}
				}
			}()
			g, ctx := errgroup.WithContext(cmd.Context())
			for _, b := range balancers {
				g.Go(func() error { return b.Run(ctx) })
			}
			return g.Wait()
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "configuration file")
	return cmd
}

// reload rereads the configuration into the running balancers. A change in
// the number of listeners takes a restart, which keks's new command line
// brings anyway.
func reload(path string, balancers []*lb.Balancer) error {
	next, err := lb.LoadConfig(path)
	if err != nil {
		return err
	}
	listeners := next.Listeners()
	if len(listeners) != len(balancers) {
		return fmt.Errorf("%d listeners configured, %d running: restart to change them", len(listeners), len(balancers))
	}
	for i, b := range balancers {
		if err := b.Reload(listeners[i]); err != nil {
			return err
		}
	}
	return nil
}
