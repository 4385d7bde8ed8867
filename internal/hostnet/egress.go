package hostnet

import (
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/hostslot"
	"github.com/keksdev/keks/internal/network"
)

// egressChain masquerades what instances and pods send beyond keks's own
// networks (the internet, on a machine that reaches it): their addresses
// are routed only inside the host.
const egressChain = "KEKS-EGRESS"

// egressReturn are the destinations and devices that stay inside keks:
// subnet bridges and node veths (ks*, kv*), control-plane, registry and
// load-balancer bridges (keks*), and the control-plane range.
var egressReturn = [][]string{
	{"-o", "ks+"}, {"-o", "kv+"}, {"-o", "keks+"}, {"-d", "198.18.0.0/15"}, {"-d", PodNetwork},
}

// EnsureEgress makes the chain and sends each source range to it; ranges
// no longer in use are dropped from it. What goes to a direct range
// (an agent host's way to keks's control-plane networks) keeps its source,
// even across a slot's link.
func EnsureEgress(sources []string, direct ...string) error {
	var rules [][]string
	for _, d := range direct {
		rules = append(rules, []string{"-d", d, "-j", "RETURN"})
	}
	// What crosses a slot's link goes to another keks server on the host,
	// whose VPCs and pod networks may hold the same addresses as this
	// one's: a reply to an instance's own address would reach the other
	// server's instance. Masqueraded, it comes back over the link (a
	// keks-on-keks cluster's nodes reach its endpoint, a load balancer of
	// the management cluster's keks, and its API servers reach keks).
	for _, link := range hostslot.Links() {
		rules = append(rules, []string{"-o", link, "-j", "MASQUERADE"})
	}
	for _, r := range egressReturn {
		rules = append(rules, append(slices.Clone(r), "-j", "RETURN"))
	}
	if err := syncChain("nat", egressChain, append(rules, []string{"-j", "MASQUERADE"})); err != nil {
		return err
	}
	post, err := network.IPTables("-t", "nat", "-S", "POSTROUTING")
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, l := range ruleLines(post, "-A POSTROUTING") {
		if strings.HasSuffix(l, "-j "+egressChain) {
			have[l] = true
		}
	}
	for _, src := range sources {
		rule := []string{"-s", src, "-m", "comment", "--comment", "keks instance egress", "-j", egressChain}
		if !have["-A POSTROUTING -s "+src+` -m comment --comment "keks instance egress" -j `+egressChain] {
			if err := iptables(append([]string{"-t", "nat", "-A", "POSTROUTING"}, rule...)...); err != nil {
				return err
			}
		}
		delete(have, "-A POSTROUTING -s "+src+` -m comment --comment "keks instance egress" -j `+egressChain)
	}
	for l := range have {
		if err := iptables(append([]string{"-t", "nat", "-D"}, splitRule(strings.TrimPrefix(l, "-A "))...)...); err != nil {
			return err
		}
	}
	return nil
}

// RemoveEgress removes the chain and every jump to it.
func RemoveEgress() error {
	post, err := network.IPTables("-t", "nat", "-S", "POSTROUTING")
	if err != nil {
		return err
	}
	for _, l := range ruleLines(post, "-A POSTROUTING") {
		if strings.HasSuffix(l, "-j "+egressChain) {
			if err := iptables(append([]string{"-t", "nat", "-D"}, splitRule(strings.TrimPrefix(l, "-A "))...)...); err != nil {
				return err
			}
		}
	}
	return deleteChain("nat", egressChain)
}

// syncChain makes chain in table hold exactly rules (each without the
// "-A chain"), in order, rewriting it only when it holds anything else.
func syncChain(table, chain string, rules [][]string) error {
	if err := iptables("-t", table, "-N", chain); err != nil && !strings.Contains(err.Error(), "exists") {
		return err
	}
	have, err := network.IPTables("-t", table, "-S", chain)
	if err != nil {
		return err
	}
	want := make([]string, len(rules))
	for i, r := range rules {
		want[i] = "-A " + chain + " " + strings.Join(r, " ")
	}
	if slices.Equal(ruleLines(have, "-A "+chain), want) {
		return nil
	}
	if err := iptables("-t", table, "-F", chain); err != nil {
		return err
	}
	for _, r := range rules {
		if err := iptables(append([]string{"-t", table, "-A", chain}, r...)...); err != nil {
			return err
		}
	}
	return nil
}

// deleteChain flushes and removes chain from table, if it is there.
func deleteChain(table, chain string) error {
	for _, op := range []string{"-F", "-X"} {
		if err := iptables("-t", table, op, chain); err != nil && !strings.Contains(err.Error(), "No chain") && !strings.Contains(err.Error(), "does not exist") {
			return err
		}
	}
	return nil
}

func ruleLines(out, prefix string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix+" ") {
			lines = append(lines, l)
		}
	}
	return lines
}

// splitRule splits an iptables -S line, keeping quoted comments whole.
func splitRule(l string) []string {
	var out []string
	for len(l) > 0 {
		l = strings.TrimLeft(l, " ")
		if strings.HasPrefix(l, `"`) {
			end := strings.Index(l[1:], `"`)
			if end < 0 {
				return append(out, l[1:])
			}
			out = append(out, l[1:end+1])
			l = l[end+2:]
			continue
		}
		f, rest, _ := strings.Cut(l, " ")
		if f != "" {
			out = append(out, f)
		}
		l = rest
	}
	return out
}

func iptables(args ...string) error {
	_, err := network.IPTables(args...)
	return err
}
