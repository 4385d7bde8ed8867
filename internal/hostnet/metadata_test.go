package hostnet

import (
	"slices"
	"testing"
)

// prerouting is `iptables -t nat -S PREROUTING` on a host with Docker and
// keks's redirect.
const prerouting = `-P PREROUTING ACCEPT
-A PREROUTING -i ks+ -m comment --comment "keks instance metadata" -j KEKS-IMDS
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
`

func TestMetadataRulesAreWhatIptablesPrints(t *testing.T) {
	got := specLines("-A "+metadataChain, metadataRules("198.19.255.253:80"))
	want := []string{"-A KEKS-IMDS -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 198.19.255.253:80"}
	if !slices.Equal(got, want) {
		t.Errorf("chain rules %q, want %q", got, want)
	}
	jump := specLines("-A PREROUTING", [][]string{metadataJump()})[0]
	if jumps := metadataJumps(prerouting); !slices.Equal(jumps, []string{jump}) {
		t.Errorf("jumps found %q, want %q", jumps, jump)
	}
	// A found jump is deleted with the arguments it was made with.
	if args := splitRule(jump[len("-A "):]); !slices.Equal(args, append([]string{"PREROUTING"}, metadataJump()...)) {
		t.Errorf("jump deleted as %q", args)
	}
}

func TestMetadataJumpTakesOnlySubnetBridges(t *testing.T) {
	// The host's own packets (OUTPUT, or PREROUTING from its other
	// devices) must still reach a real 169.254.169.254.
	j := metadataJump()
	if i := slices.Index(j, "-i"); i < 0 || j[i+1] != "ks+" {
		t.Errorf("jump %q is not limited to the subnet bridges", j)
	}
}
