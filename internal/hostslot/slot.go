// Package hostslot lets several keks servers share one host. Each data
// directory holds a slot, claimed host-wide, from which every address range
// the host can see is derived: its control-plane networks, load-balancer
// pool, registry and metadata addresses. Slot 0 runs in the host's own
// network namespace, as keks always has; any other slot runs the whole
// server in a network namespace of its own (see Enter), so that what stays
// inside (VPCs, subnets, pod networks, iptables chains, bridges) may repeat
// another server's.
package hostslot

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Slot numbers a keks server among those on one host.
type Slot int

// Count is how many servers one host can hold: the load-balancer pools of
// slots 0-6 fill 198.19.128.0/17 up to 198.19.240.0, where the transit
// links, registries and metadata services live.
const Count = 7

// DefaultRegistry is where slots are claimed: a file per slot naming the
// data directory that holds it. It outlives the servers (their clusters
// keep running while they are stopped).
const DefaultRegistry = "/var/lib/keks-slots"

// fileName is the file in a data directory that records its slot.
const fileName = "slot"

// Claim returns a slot for dataDir: the one it had before if that is free
// or still its own, otherwise the lowest free one. A slot is held from its
// server's start until that server stops with nothing left running
// (Free); one whose data directory is gone is free again.
func Claim(registry, dataDir string) (Slot, error) {
	if err := os.MkdirAll(registry, 0o755); err != nil {
		return 0, fmt.Errorf("create the slot registry %s: %w", registry, err)
	}
	order := make([]int, 0, Count+1)
	if data, err := os.ReadFile(filepath.Join(dataDir, fileName)); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && n >= 0 && n < Count {
			order = append(order, n)
		}
	}
	for n := 0; n < Count; n++ {
		order = append(order, n)
	}
	for _, n := range order {
		path := filepath.Join(registry, strconv.Itoa(n))
		if owner, err := os.ReadFile(path); err == nil {
			if string(owner) == dataDir {
				return Slot(n), remember(dataDir, n)
			}
			if dirExists(string(owner)) {
				continue
			}
			_ = os.Remove(path) // its data directory is gone
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue // claimed by a server starting at the same moment
		}
		if err != nil {
			return 0, fmt.Errorf("claim slot %d: %w", n, err)
		}
		_, err = f.WriteString(dataDir)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = remember(dataDir, n)
		}
		if err != nil {
			_ = os.Remove(path)
			return 0, fmt.Errorf("claim slot %d: %w", n, err)
		}
		return Slot(n), nil
	}
	return 0, fmt.Errorf("all %d keks slots of this host are held (%s names their data directories): stop one of those servers after deleting its clusters, or remove a data directory no longer used", Count, registry)
}

// remember records the slot in the data directory, which prefers it next time.
func remember(dataDir string, n int) error {
	return os.WriteFile(filepath.Join(dataDir, fileName), []byte(strconv.Itoa(n)+"\n"), 0o644)
}

// Held reports whether the slot is still claimed.
func (s Slot) Held(registry string) bool {
	_, err := os.Stat(filepath.Join(registry, strconv.Itoa(int(s))))
	return err == nil
}

// Free gives the slot back, once its server has nothing left running.
func (s Slot) Free(registry string) error {
	if err := os.Remove(filepath.Join(registry, strconv.Itoa(int(s)))); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("free keks slot %d: %w", s, err)
	}
	return nil
}

func dirExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// ControlPlaneNetworks is the range of control-plane network indexes (each
// a /24 of 198.18.0.0/16) the slot's clusters take: 32 per slot.
func (s Slot) ControlPlaneNetworks() (first, count int) { return 32 * int(s), 32 }

// ControlPlaneRange is the prefix those networks fill.
func (s Slot) ControlPlaneRange() netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, byte(32 * s), 0}), 19)
}

// LoadBalancerPool is where the slot's Services of type LoadBalancer get
// their addresses.
func (s Slot) LoadBalancerPool() netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 19, byte(128 + 16*int(s)), 0}), 20)
}

// RegistryAddress is the address of the slot's image registry.
func (s Slot) RegistryAddress() netip.Addr {
	return netip.AddrFrom4([4]byte{198, 19, 255, byte(254 - 2*int(s))})
}

// MetadataAddress is the address of the slot's instance metadata service.
func (s Slot) MetadataAddress() netip.Addr {
	return netip.AddrFrom4([4]byte{198, 19, 255, byte(253 - 2*int(s))})
}

// Namespace names the network namespace the slot's server runs in; slot 0
// runs in the host's.
func (s Slot) Namespace() string {
	if s == 0 {
		return ""
	}
	return "keks-s" + strconv.Itoa(int(s))
}

// transit is the /30 that links the slot's namespace to the host: .1 the
// host's side, .2 the namespace's.
func (s Slot) transit() netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 19, 240, byte(4 * int(s))}), 30)
}

// HostAddress is the host's address on the link to the slot's namespace.
func (s Slot) HostAddress() netip.Addr { return s.transit().Addr().Next() }

// Address is the slot's own address on that link, where its server
// listens for the host; slot 0 has none.
func (s Slot) Address() netip.Addr {
	if s == 0 {
		return netip.Addr{}
	}
	return s.HostAddress().Next()
}

// Routed lists what the host reaches through the slot's link.
func (s Slot) Routed() []netip.Prefix {
	return []netip.Prefix{s.ControlPlaneRange(), s.LoadBalancerPool(),
		netip.PrefixFrom(s.RegistryAddress(), 32), netip.PrefixFrom(s.MetadataAddress(), 32)}
}

// ListenAddress is where a server in the slot listens for the host, given
// the port it was asked for: slot 0 as asked, others on the slot's address.
func (s Slot) ListenAddress(listen string) string {
	if s == 0 {
		return listen
	}
	ap, err := netip.ParseAddrPort(listen)
	if err != nil || !ap.Addr().IsLoopback() {
		return listen // an explicit address is kept
	}
	return netip.AddrPortFrom(s.Address(), ap.Port()).String()
}
