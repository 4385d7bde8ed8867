package hostnet

import (
	"slices"
	"testing"
)

func TestSplitRuleKeepsQuotedComments(t *testing.T) {
	got := splitRule(`POSTROUTING -s 172.31.0.0/20 -m comment --comment "keks instance egress" -j KEKS-EGRESS`)
	want := []string{"POSTROUTING", "-s", "172.31.0.0/20", "-m", "comment", "--comment", "keks instance egress", "-j", "KEKS-EGRESS"}
	if !slices.Equal(got, want) {
		t.Errorf("splitRule: %q", got)
	}
}
