package main

import (
	"fmt"
	"log/slog"
	"os"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/etcdmember"
)

// newEtcdMemberCommand starts an etcd member of a control plane on the
// kubernetes runtime: a member whose volume was lost is added to its
// cluster again before etcd starts (internal/etcdmember).
func newEtcdMemberCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "etcd-member -- ETCD [FLAGS...]",
		Short:  "Start an etcd member, joining its cluster again when its data is lost",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "etcd-member")
			args, err := etcdmember.Prepare(cmd.Context(), args, log)
			if err != nil {
				return err
			}
			if err := syscall.Exec(args[0], args, os.Environ()); err != nil {
				return fmt.Errorf("start %s: %w", args[0], err)
			}
			return nil
		},
	}
}
