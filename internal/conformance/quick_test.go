package conformance

import (
	"regexp"
	"testing"
)

// TestQuickFocusPicksEachTestByItsName: every fragment matches its own
// name literally (brackets and parentheses are not regular expression
// syntax here) and nothing else of the list.
func TestQuickFocusPicksEachTestByItsName(t *testing.T) {
	re, err := regexp.Compile(QuickFocus())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range Quick {
		if !re.MatchString(q + " [Conformance]") {
			t.Errorf("%q is not matched", q)
		}
	}
	for _, other := range []string{
		"[sig-storage] EmptyDir volumes should support (root,0666,tmpfs) [LinuxOnly] [Conformance]",
		"[sig-network] DNS should provide DNS for pods for Hostname [Conformance]",
	} {
		if re.MatchString(other) {
			t.Errorf("%q is matched", other)
		}
	}
}
