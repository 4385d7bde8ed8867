package server

import (
	"context"
	"log/slog"
	"os"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/hostslot"
	"github.com/keksdev/keks/internal/sgfirewall"
	"github.com/keksdev/keks/internal/store"
)

// securityGroupsSwitch turns security group enforcement off when set to
// "off": every instance's chain then allows all, as before keks enforced
// groups.
const securityGroupsSwitch = "KEKS_SECURITY_GROUPS"

// newSecurityGroups makes what decides and enforces security groups on
// instances: keks's own, and, through their assignments, agents'.
func newSecurityGroups(ec2Svc *ec2.Service, eksSvc *eks.Service, slot hostslot.Slot, log *slog.Logger) *sgfirewall.Controller {
	fw := sgfirewall.New(ec2Svc, eksSvc, slot.Routed(), log)
	if os.Getenv(securityGroupsSwitch) == "off" {
		fw.Off = true
		log.Warn("security groups are not enforced", "switch", securityGroupsSwitch+"=off")
	}
	return fw
}

// runSecurityGroups starts the reconciler that enforces security groups
// on keks's instances, woken by every change to groups, instances and
// clusters.
func runSecurityGroups(run func(func(context.Context)), st *store.Store, fw *sgfirewall.Controller) {
	run(func(ctx context.Context) { _ = fw.Run(ctx) })
	for _, prefix := range []string{"ec2/securitygroups/", ec2.InstancePrefix, "eks/clusters/"} {
		run(func(ctx context.Context) { wakeOnChange(ctx, st, prefix, fw.Wake) })
	}
}
