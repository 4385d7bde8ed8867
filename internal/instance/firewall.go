package instance

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// HasNetwork says whether an instance's network namespace exists (the
// instance controller has made it).
func HasNetwork(id string) bool {
	_, err := os.Stat(nsPath((&Spec{ID: id}).netns()))
	return err == nil
}

// The chains of an instance's namespace that hold its security groups'
// rules (internal/sgfirewall): INPUT and FORWARD jump to FirewallIngress
// for what arrives on eth0, OUTPUT and FORWARD to FirewallEgress for what
// leaves on eth0.
const (
	FirewallIngress = "KEKS-SG-INGRESS"
	FirewallEgress  = "KEKS-SG-EGRESS"
)

// firewallJumps are the rules (as iptables arguments after -I/-C) that
// send the instance's traffic to its chains.
var firewallJumps = [][]string{
	{"INPUT", "-i", "eth0", "-m", "comment", "--comment", "keks: security groups", "-j", FirewallIngress},
	{"FORWARD", "-i", "eth0", "-m", "comment", "--comment", "keks: security groups", "-j", FirewallIngress},
	{"OUTPUT", "-o", "eth0", "-m", "comment", "--comment", "keks: security groups", "-j", FirewallEgress},
	{"FORWARD", "-o", "eth0", "-m", "comment", "--comment", "keks: security groups", "-j", FirewallEgress},
}

// ApplyFirewall replaces chains in an instance's namespace with restore
// (iptables-restore input for table filter, applied with --noflush in one
// transaction, waiting for the xtables lock as every keks iptables call
// does), and makes sure each of firewallJumps is first in its chain. The namespace, and the rules with it, go when
// the instance is deleted.
func ApplyFirewall(ctx context.Context, id, restore string) error {
	ns := (&Spec{ID: id}).netns()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "iptables-restore", "-w", "--noflush")
	cmd.Stdin = strings.NewReader(restore)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("iptables-restore in %s: %w: %s", ns, err, strings.TrimSpace(string(out)))
	}
	for _, jump := range firewallJumps {
		if nsIPTables(ctx, ns, append([]string{"-C"}, jump...)...) == nil {
			continue
		}
		if err := nsIPTables(ctx, ns, append([]string{"-I", jump[0], "1"}, jump[1:]...)...); err != nil {
			return err
		}
	}
	return nil
}

// nsIPTables runs iptables in namespace ns, waiting for the xtables lock.
func nsIPTables(ctx context.Context, ns string, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, "iptables", "-w"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("iptables %s in %s: %w: %s", strings.Join(args, " "), ns, err, strings.TrimSpace(string(out)))
	}
	return nil
}
