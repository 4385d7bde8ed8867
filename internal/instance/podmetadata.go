package instance

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// metadataAddress is the instance metadata service's address.
const metadataAddress = "169.254.169.254/32"

// blockPodMetadata drops what the instance forwards from its pods to the
// metadata service; what the instance itself sends (its kubelet's
// credential requests) is not forwarded, so it still passes.
func blockPodMetadata(ctx context.Context, s *Spec) error {
	rule := []string{"FORWARD", "-d", metadataAddress, "-m", "comment", "--comment", "keks: no IMDS for Fargate pods", "-j", "DROP"}
	iptables := func(op string) error {
		args := append([]string{"netns", "exec", s.netns(), "iptables", "-w", op}, rule...)
		out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	if iptables("-C") == nil {
		return nil
	}
	if err := iptables("-I"); err != nil {
		return fmt.Errorf("block the metadata service for the pods of %s: %w", s.ID, err)
	}
	return nil
}
