// Package hostcheck knows what the host must have for keks to run nodes and
// serve its network (CNI plugins, iptables, what keks builds runc with...),
// finds what is missing, and installs it with the host's package manager
// where it can.
package hostcheck

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Requirement is one thing keks needs from the host.
type Requirement struct {
	What    string // what keks uses it for, for messages
	Package string // the Debian/Ubuntu package that provides it
	// One of Command (looked up on PATH) or File (an absolute path).
	Command string
	File    string
}

func (r Requirement) String() string {
	if r.Command != "" {
		return r.Command + " (" + r.What + ")"
	}
	return r.File + " (" + r.What + ")"
}

// Nodes is what every instance needs: the CNI plugins of its pod network,
// iptables for kube-proxy, nsenter to enter its namespace, OpenSSH's sshd, and what keks
// builds the nodes' containerd and runc (k8sbuild.BuildNodeRuntime) and
// busybox (k8sbuild.BuildBusybox) with.
var Nodes = []Requirement{
	{What: "pod networking", Package: "containernetworking-plugins", File: "/usr/lib/cni/bridge"},
	{What: "pod addresses", Package: "containernetworking-plugins", File: "/usr/lib/cni/host-local"},
	{What: "pod host ports", Package: "containernetworking-plugins", File: "/usr/lib/cni/portmap"},
	{What: "pod loopback", Package: "containernetworking-plugins", File: "/usr/lib/cni/loopback"},
	{What: "kube-proxy and instance egress", Package: "iptables", Command: "iptables"},
	{What: "entering an instance's namespaces", Package: "util-linux", Command: "nsenter"},
	{What: "an instance's own mount namespace", Package: "util-linux", Command: "unshare"},
	{What: "an instance's machine view", Package: "mount", Command: "mount"},
	{What: "SSH to instances launched with a key pair", Package: "openssh-server", File: "/usr/sbin/sshd"},
	{What: "building runc", Package: "pkg-config", Command: "pkg-config"},
	{What: "runc's seccomp filters", Package: "libseccomp-dev", File: "/usr/include/seccomp.h"},
	{What: "building busybox", Package: "make", Command: "make"},
}

// Server is what keks needs to serve: network devices and, for the images it
// builds, curl with its CA bundle.
var Server = []Requirement{
	{What: "bridges and addresses", Package: "iproute2", Command: "ip"},
	{What: "the keks/shell image", Package: "curl", Command: "curl"},
	{What: "the keks/shell image's CA bundle", Package: "ca-certificates", File: "/etc/ssl/certs/ca-certificates.crt"},
	{What: "compiling the pause image", Package: "gcc", Command: "gcc"},
	{What: "the pause image's static C library", Package: "libc6-dev", File: "/usr/include/stdio.h"},
	{What: "the busybox image's time zone", Package: "tzdata", File: "/usr/share/zoneinfo/UTC"},
	{What: "the EBS CSI driver image's ext4 tools", Package: "e2fsprogs", Command: "mke2fs"},
	{What: "the EBS CSI driver image's XFS tools", Package: "xfsprogs", Command: "mkfs.xfs"},
}

// TestImages is what the conformance suite's images are made of beside
// busybox: Debian's builds of the tools upstream's agnhost installs from
// Alpine, and nginx. Only keks conformance asks for them.
var TestImages = []Requirement{
	{What: "dig in the agnhost and glibc-dns-testing images", Package: "bind9-dnsutils", Command: "dig"},
	{What: "getent in the agnhost image", Package: "libc-bin", Command: "getent"},
	{What: "bash in the agnhost image", Package: "bash", Command: "bash"},
	{What: "OpenBSD netcat in the agnhost image", Package: "netcat-openbsd", Command: "nc.openbsd"},
	{What: "socat in the agnhost image", Package: "socat", Command: "socat"},
	{What: "ss in the agnhost image", Package: "iproute2", Command: "ss"},
	{What: "ipcs in the agnhost image", Package: "util-linux", Command: "ipcs"},
	{What: "iperf in the agnhost image", Package: "iperf", Command: "iperf"},
	{What: "curl in the agnhost image", Package: "curl", Command: "curl"},
	{What: "the nginx image", Package: "nginx", File: "/usr/sbin/nginx"},
	{What: "the nginx image's MIME types", Package: "nginx", File: "/etc/nginx/mime.types"},
}

// Host is where requirements are looked for; tests point it elsewhere to
// hide a requirement.
type Host struct {
	Path string // the PATH to search; empty means the process's own
	Root string // prefix of File paths; empty means /
}

// Missing returns the requirements the host lacks, in the given order.
func (h Host) Missing(reqs ...[]Requirement) []Requirement {
	var out []Requirement
	for _, list := range reqs {
		for _, r := range list {
			if !h.has(r) && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

func (h Host) has(r Requirement) bool {
	if r.File != "" {
		path := filepath.Join(h.root(), r.File)
		st, err := os.Stat(path)
		return err == nil && !st.IsDir()
	}
	dirs := filepath.SplitList(h.Path)
	if h.Path == "" {
		// Debian puts some of these in /usr/sbin, which a non-login root shell may not have on PATH.
		dirs = append(filepath.SplitList(os.Getenv("PATH")), "/usr/sbin", "/sbin")
	}
	for _, dir := range dirs {
		if st, err := os.Stat(filepath.Join(dir, r.Command)); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return true
		}
	}
	return false
}

func (h Host) root() string {
	if h.Root == "" {
		return "/"
	}
	return h.Root
}

// Packages lists the packages that provide the missing requirements.
func Packages(missing []Requirement) []string {
	var pkgs []string
	for _, r := range missing {
		if !slices.Contains(pkgs, r.Package) {
			pkgs = append(pkgs, r.Package)
		}
	}
	return pkgs
}

// InstallCommand is the command a person runs to install what is missing.
func InstallCommand(missing []Requirement) string {
	return "apt-get update && apt-get install -y " + strings.Join(Packages(missing), " ")
}

// Describe names each missing requirement and how to install it, in one message.
func Describe(missing []Requirement) string {
	parts := make([]string, len(missing))
	for i, r := range missing {
		parts[i] = r.String()
	}
	return fmt.Sprintf("the host lacks %s; install with: %s", strings.Join(parts, ", "), InstallCommand(missing))
}

// CanInstall reports whether this process can install packages: it is root
// and the host has apt-get.
func CanInstall() bool {
	if os.Geteuid() != 0 {
		return false
	}
	_, err := exec.LookPath("apt-get")
	return err == nil
}
