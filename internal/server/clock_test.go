package server

import (
	"testing"
	"time"
)

func TestLifecycleClockShiftsByTheOffset(t *testing.T) {
	for _, offset := range []time.Duration{8760 * time.Hour, -48 * time.Hour} {
		got := lifecycleClock(offset)().Sub(time.Now())
		if d := got - offset; d < -time.Minute || d > time.Minute {
			t.Errorf("offset %s: the clock is %s from now", offset, got)
		}
	}
	if d := time.Since(lifecycleClock(0)()); d < 0 || d > time.Minute {
		t.Errorf("no offset: %s from now", d)
	}
}
