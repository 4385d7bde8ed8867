package hostnet

import (
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/network"
)

// metadataChain sends what instances and pods address to EC2's metadata
// service (169.254.169.254:80) to keks's (internal/imds) on a host address.
// Only packets arriving from subnet bridges (ks*) are redirected: the
// host's own, and so a host that is itself an EC2 instance, still reach
// its real metadata service. The source address is kept: it is how the
// service knows the caller.
const metadataChain = "KEKS-IMDS"

// MetadataService is where instances and SDKs look for instance metadata.
const MetadataService = "169.254.169.254"

const metadataComment = "keks instance metadata"

// metadataRules are the chain's rules, as `iptables -S` prints them.
func metadataRules(to string) [][]string {
	return [][]string{{"-d", MetadataService + "/32", "-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "DNAT", "--to-destination", to}}
}

// metadataJump sends packets from every subnet bridge to the chain; it
// goes first in PREROUTING, so no other rule sends them elsewhere.
func metadataJump() []string {
	return []string{"-i", "ks+", "-m", "comment", "--comment", metadataComment, "-j", metadataChain}
}

// EnsureMetadataRedirect makes the chain redirect to "to" (host:port) and
// PREROUTING jump to it, once; rules that differ are replaced.
func EnsureMetadataRedirect(to string) error {
	if err := iptables("-t", "nat", "-N", metadataChain); err != nil && !strings.Contains(err.Error(), "exists") {
		return err
	}
	rules, err := network.IPTables("-t", "nat", "-S", metadataChain)
	if err != nil {
		return err
	}
	if got, want := ruleLines(rules, "-A "+metadataChain), specLines("-A "+metadataChain, metadataRules(to)); !slices.Equal(got, want) {
		if err := iptables("-t", "nat", "-F", metadataChain); err != nil {
			return err
		}
		for _, r := range metadataRules(to) {
			if err := iptables(append([]string{"-t", "nat", "-A", metadataChain}, r...)...); err != nil {
				return err
			}
		}
	}
	pre, err := network.IPTables("-t", "nat", "-S", "PREROUTING")
	if err != nil {
		return err
	}
	jumps := metadataJumps(pre)
	want := specLines("-A PREROUTING", [][]string{metadataJump()})[0]
	if slices.Equal(jumps, []string{want}) {
		return nil
	}
	// Missing, doubled or changed: the jumps are made again.
	if err := deleteRules(jumps); err != nil {
		return err
	}
	return iptables(append([]string{"-t", "nat", "-I", "PREROUTING", "1"}, metadataJump()...)...)
}

// RemoveMetadataRedirect removes the jump and the chain; what is already
// gone is fine.
func RemoveMetadataRedirect() error {
	pre, err := network.IPTables("-t", "nat", "-S", "PREROUTING")
	if err != nil {
		return err
	}
	if err := deleteRules(metadataJumps(pre)); err != nil {
		return err
	}
	return deleteChain("nat", metadataChain)
}

// metadataJumps are the PREROUTING lines that jump to the chain.
func metadataJumps(prerouting string) []string {
	var jumps []string
	for _, l := range ruleLines(prerouting, "-A PREROUTING") {
		if strings.HasSuffix(l, "-j "+metadataChain) {
			jumps = append(jumps, l)
		}
	}
	return jumps
}

// specLines renders rules as `iptables -S` prints them after prefix
// ("-A CHAIN"), quoting what has spaces.
func specLines(prefix string, rules [][]string) []string {
	var lines []string
	for _, r := range rules {
		words := []string{prefix}
		for _, w := range r {
			if strings.Contains(w, " ") {
				w = `"` + w + `"`
			}
			words = append(words, w)
		}
		lines = append(lines, strings.Join(words, " "))
	}
	return lines
}

// deleteRules deletes `iptables -S` lines ("-A CHAIN ...") of the nat table.
func deleteRules(lines []string) error {
	for _, l := range lines {
		if err := iptables(append([]string{"-t", "nat", "-D"}, splitRule(strings.TrimPrefix(l, "-A "))...)...); err != nil {
			return err
		}
	}
	return nil
}
