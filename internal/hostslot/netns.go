package hostslot

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/keksdev/keks/internal/network"
)

const netnsDir = network.NetnsDir

// insideLink names the namespace's end of its link to the host; the host's
// end bears the namespace's name.
const insideLink = "keks-host"

// Links are the names of every slot's links between host and namespace,
// both ends: what crosses them goes from one keks server to another.
func Links() []string {
	out := []string{insideLink}
	for s := Slot(1); s < Count; s++ {
		out = append(out, s.Namespace())
	}
	return out
}

// Inside reports whether this process runs in the slot's namespace already.
func (s Slot) Inside() bool {
	if s == 0 {
		return true
	}
	return sameFile("/proc/self/ns/net", filepath.Join(netnsDir, s.Namespace()))
}

func sameFile(a, b string) bool {
	var sa, sb syscall.Stat_t
	if syscall.Stat(a, &sa) != nil || syscall.Stat(b, &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// Enter makes the slot's namespace and its link to the host (idempotent),
// then runs this same command inside it and exits with its status: the
// caller returns from Enter only when it runs in the slot's namespace (for
// slot 0, the host's). This process stays outside, in the host's
// namespace, passing signals on, so that when the server inside has given
// the slot back (nothing of it left running) it can remove the namespace,
// the link, the routes and the host's rules, which only the host's side can.
func (s Slot) Enter(registry string) error {
	if s.Inside() {
		return nil
	}
	if err := s.setUp(); err != nil {
		return fmt.Errorf("network namespace of keks slot %d: %w", s, err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		return fmt.Errorf("keks slot %d runs in a network namespace of its own, which needs nsenter (util-linux): %w", s, err)
	}
	cmd := exec.Command(nsenter, append([]string{"--net=" + filepath.Join(netnsDir, s.Namespace()), "--", self}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// If this process is killed outright, the server inside stops too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start keks in slot %d: %w", s, err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-signals:
				_ = cmd.Process.Signal(sig)
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	if !s.Held(registry) {
		if terr := s.teardown(); terr != nil {
			fmt.Fprintln(os.Stderr, "keks:", terr)
		}
	}
	code := 0
	if err != nil {
		code = 1
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() > 0 {
			code = exit.ExitCode()
		}
	}
	os.Exit(code)
	return nil
}

// setUp makes the namespace, the link, the routes each way and the host's
// NAT for what leaves the slot.
func (s Slot) setUp() error {
	ns, host := s.Namespace(), s.HostAddress().String()
	if _, err := os.Stat(filepath.Join(netnsDir, ns)); err != nil {
		if err := network.PrepareNetnsDir(); err != nil {
			return err
		}
		if err := run("ip", "netns", "add", ns); err != nil {
			return err
		}
	}
	if err := run("ip", "link", "show", ns); err != nil {
		if err := run("ip", "link", "add", ns, "type", "veth", "peer", "name", insideLink, "netns", ns); err != nil {
			return err
		}
	}
	steps := [][]string{
		{"ip", "addr", "replace", host + "/30", "dev", ns},
		{"ip", "link", "set", ns, "up"},
		{"ip", "-n", ns, "link", "set", "lo", "up"},
		{"ip", "-n", ns, "addr", "replace", s.Address().String() + "/30", "dev", insideLink},
		{"ip", "-n", ns, "link", "set", insideLink, "up"},
		{"ip", "-n", ns, "route", "replace", "default", "via", host},
	}
	for _, p := range s.Routed() {
		steps = append(steps, []string{"ip", "route", "replace", p.String(), "via", s.Address().String(), "dev", ns})
	}
	for _, st := range steps {
		if err := run(st[0], st[1:]...); err != nil {
			return err
		}
	}
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
		return fmt.Errorf("enable forwarding: %w", err)
	}
	for _, r := range s.hostRules() {
		if _, err := network.IPTables(append([]string{"-t", r.table, "-C", r.chain}, r.spec...)...); err == nil {
			continue
		}
		if _, err := network.IPTables(append([]string{"-t", r.table, "-I", r.chain, "1"}, r.spec...)...); err != nil {
			return err
		}
	}
	return nil
}

type rule struct {
	table, chain string
	spec         []string
}

// hostRules are the host's iptables rules for the slot: its traffic is
// forwarded (whatever the host's FORWARD policy) and leaves the host
// masqueraded, as the host's own would.
func (s Slot) hostRules() []rule {
	ns, comment := s.Namespace(), []string{"-m", "comment", "--comment", "keks slot " + s.Namespace()}
	src := s.transit().String()
	return []rule{
		{"nat", "POSTROUTING", append([]string{"-s", src, "!", "-o", ns}, append(comment, "-j", "MASQUERADE")...)},
		{"filter", "FORWARD", append([]string{"-i", ns}, append(comment, "-j", "ACCEPT")...)},
		{"filter", "FORWARD", append([]string{"-o", ns}, append(comment, "-j", "ACCEPT")...)},
	}
}

// teardown removes the slot's namespace, its link, routes and host rules
// (the routes go with the link).
func (s Slot) teardown() error {
	var errs []string
	for _, r := range s.hostRules() {
		for {
			if _, err := network.IPTables(append([]string{"-t", r.table, "-D", r.chain}, r.spec...)...); err != nil {
				break // no copy of the rule left
			}
		}
	}
	if err := run("ip", "link", "del", s.Namespace()); err != nil && !strings.Contains(err.Error(), "Cannot find device") {
		errs = append(errs, err.Error())
	}
	if err := run("ip", "netns", "delete", s.Namespace()); err != nil && !strings.Contains(err.Error(), "No such file") {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("remove the network namespace of keks slot %d: %s", s, strings.Join(errs, "; "))
	}
	return nil
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
