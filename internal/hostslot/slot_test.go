package hostslot

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

func TestClaimGivesEachDataDirectoryItsOwnSlot(t *testing.T) {
	registry := t.TempDir()
	dir := func() string { return t.TempDir() }
	first, second := dir(), dir()
	a, err := Claim(registry, first)
	if err != nil || a != 0 {
		t.Fatalf("first claim: %d %v", a, err)
	}
	b, err := Claim(registry, second)
	if err != nil || b != 1 {
		t.Fatalf("second claim: %d %v", b, err)
	}
	if again, err := Claim(registry, first); err != nil || again != 0 {
		t.Fatalf("a data directory claiming again: %d %v", again, err)
	}
	// A slot given back is taken again by the next one asking; its old
	// holder, restarted, prefers it but settles for another.
	if err := a.Free(registry); err != nil {
		t.Fatal(err)
	}
	third := dir()
	if c, err := Claim(registry, third); err != nil || c != 0 {
		t.Fatalf("claim after a free: %d %v", c, err)
	}
	if back, err := Claim(registry, first); err != nil || back != 2 {
		t.Fatalf("former holder of slot 0: %d %v", back, err)
	}
	// A slot whose data directory is gone is free.
	if err := os.RemoveAll(second); err != nil {
		t.Fatal(err)
	}
	fourth := dir()
	if d, err := Claim(registry, fourth); err != nil || d != 1 {
		t.Fatalf("claim of a slot whose directory is gone: %d %v", d, err)
	}
	if !Slot(1).Held(registry) || Slot(5).Held(registry) {
		t.Fatal("Held disagrees with the registry")
	}
}

func TestClaimSaysWhenTheHostIsFull(t *testing.T) {
	registry := t.TempDir()
	for i := 0; i < Count; i++ {
		if _, err := Claim(registry, t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Claim(registry, t.TempDir()); err == nil {
		t.Fatal("an eighth server got a slot")
	}
}

func TestClaimRecordsTheSlotInTheDataDirectory(t *testing.T) {
	registry, data := t.TempDir(), t.TempDir()
	if _, err := Claim(registry, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	s, err := Claim(registry, data)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(data, "slot"))
	if string(got) != "1\n" || s != 1 {
		t.Fatalf("slot file %q, slot %d", got, s)
	}
}

// No two slots share an address the host sees, and none of a slot's
// single addresses falls in any slot's ranges.
func TestSlotsDoNotOverlap(t *testing.T) {
	var ranges []netip.Prefix
	var singles []netip.Addr
	for s := Slot(0); s < Count; s++ {
		ranges = append(ranges, s.ControlPlaneRange(), s.LoadBalancerPool(), s.transit())
		singles = append(singles, s.RegistryAddress(), s.MetadataAddress())
		if first, count := s.ControlPlaneNetworks(); first/32 != int(s) || count != 32 || s.ControlPlaneRange().Bits() != 19 {
			t.Fatalf("slot %d control-plane networks %d+%d, range %s", s, first, count, s.ControlPlaneRange())
		}
	}
	for i, p := range ranges {
		for j, q := range ranges {
			if i != j && p.Overlaps(q) {
				t.Fatalf("%s overlaps %s", p, q)
			}
		}
		for _, a := range singles {
			if p.Contains(a) {
				t.Fatalf("%s contains %s", p, a)
			}
		}
	}
	seen := map[netip.Addr]bool{}
	for _, a := range singles {
		if seen[a] {
			t.Fatalf("%s is used twice", a)
		}
		seen[a] = true
	}
	if Slot(0).RegistryAddress().String() != "198.19.255.254" || Slot(0).MetadataAddress().String() != "198.19.255.253" {
		t.Fatal("slot 0 must keep keks's historic registry and metadata addresses")
	}
}

func TestListenAddress(t *testing.T) {
	for _, c := range []struct {
		slot       Slot
		in, listen string
	}{
		{0, "127.0.0.1:4577", "127.0.0.1:4577"},
		{1, "127.0.0.1:4577", "198.19.240.6:4577"},
		{2, "127.0.0.1:9000", "198.19.240.10:9000"},
		{1, "10.0.0.5:4577", "10.0.0.5:4577"},
	} {
		if got := c.slot.ListenAddress(c.in); got != c.listen {
			t.Errorf("slot %d, --listen %s: %s, want %s", c.slot, c.in, got, c.listen)
		}
	}
	if Slot(0).Namespace() != "" || Slot(3).Namespace() != "keks-s3" {
		t.Fatal("namespace names")
	}
}
