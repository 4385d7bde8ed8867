package kubeversions

import (
	"testing"
	"time"
)

func TestCatalogue(t *testing.T) {
	if _, ok := Lookup(Default); !ok {
		t.Fatalf("default version %s is not in the catalogue", Default)
	}
	for _, v := range All() {
		if !v.Release.Before(v.EndOfStandard) || !v.EndOfStandard.Before(v.EndOfExtended) {
			t.Errorf("%s: dates out of order", v.Minor)
		}
		if got := v.EndOfExtended.Sub(v.EndOfStandard); got < 360*24*time.Hour || got > 370*24*time.Hour {
			t.Errorf("%s: extended support lasts %s, EKS gives 12 months", v.Minor, got)
		}
	}
	v, _ := Lookup("1.34")
	if v.Status(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)) != StandardSupport || v.Status(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) != ExtendedSupport ||
		v.Status(time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)) != Unsupported {
		t.Error("1.34 support states are wrong")
	}
}

func TestIsNextMinor(t *testing.T) {
	for _, c := range []struct {
		from, to string
		want     bool
	}{{"1.36", "1.37", true}, {"1.35", "1.37", false}, {"1.37", "1.36", false}, {"1.37", "1.37", false}, {"x", "1.37", false}} {
		if got := IsNextMinor(c.from, c.to); got != c.want {
			t.Errorf("IsNextMinor(%s, %s) = %v", c.from, c.to, got)
		}
	}
}
