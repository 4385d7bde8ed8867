package awserr

import (
	"strings"
	"testing"
)

func TestConstraintMessageEchoesABoundedValue(t *testing.T) {
	long := strings.Repeat("x", 10_000)
	msg := ConstraintMessage(long, "name", "Member must have length less than or equal to 2048")
	if len(msg) > 512 || !strings.Contains(msg, "x...' at 'name'") {
		t.Fatalf("message repeats %d bytes: %.120s", len(msg), msg)
	}
	if got := NullMessage("Name"); got != "1 validation error detected: Value null at 'Name' failed to satisfy constraint: Member must not be null" {
		t.Fatalf("NullMessage = %q", got)
	}
}
