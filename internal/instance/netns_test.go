package instance

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/keksdev/keks/internal/network"
)

// An instance made before MACs followed addresses (a kernel-random MAC on
// eth0) gets its address's MAC when it is set up again: hosts across the
// overlay reach it by that MAC without ARP.
func TestPlugGivesAnOldInstanceItsMAC(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: makes a bridge and a network namespace")
	}
	suffix := fmt.Sprintf("%05d", os.Getpid()%100000)
	ns, bridge, hostIf := "keks-test-"+suffix, "kbt"+suffix, "kvt"+suffix
	gw := netip.MustParsePrefix("10.254.7.1/24")
	addr := netip.MustParsePrefix("10.254.7.9/24")
	t.Cleanup(func() {
		_ = deleteNetns(ns)
		if l, err := netlink.LinkByName(bridge); err == nil {
			_ = netlink.LinkDel(l)
		}
	})
	if err := ensureNetns(ns); err != nil {
		t.Fatal(err)
	}
	if err := ensureSubnetBridge(bridge, gw); err != nil {
		t.Fatal(err)
	}
	if err := plug(ns, hostIf, bridge, addr, gw.Addr()); err != nil {
		t.Fatal(err)
	}
	mac := func() net.HardwareAddr {
		var got net.HardwareAddr
		if err := inNetns(ns, func() error {
			eth, err := netlink.LinkByName("eth0")
			if err == nil {
				got = eth.Attrs().HardwareAddr
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := network.InstanceMAC(addr.Addr())
	if got := mac(); !bytes.Equal(got, want) {
		t.Fatalf("a new instance's MAC %s, want %s", got, want)
	}
	// As an older keks left it.
	if err := inNetns(ns, func() error {
		eth, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		return netlink.LinkSetHardwareAddr(eth, net.HardwareAddr{0x02, 0x11, 0x22, 0x33, 0x44, 0x55})
	}); err != nil {
		t.Fatal(err)
	}
	if err := plug(ns, hostIf, bridge, addr, gw.Addr()); err != nil {
		t.Fatal(err)
	}
	if got := mac(); !bytes.Equal(got, want) {
		t.Errorf("after setting up again the MAC is %s, want %s", got, want)
	}
}
