package network

import (
	"fmt"
	"os/exec"
	"strings"
)

// IPTables runs iptables with args and returns its output. It waits for the
// xtables lock (-w): other writers on the host, kube-proxy among them, hold
// it for moments, and a call that gave up at once would read as a missing
// rule or leave one behind.
func IPTables(args ...string) (string, error) {
	out, err := exec.Command("iptables", append([]string{"-w"}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("iptables %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
