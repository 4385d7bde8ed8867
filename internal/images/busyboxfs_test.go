package images

import (
	"archive/tar"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// upstreamBusyboxTree is docker-library/busybox's rootfs as `tar tvzf
// latest/glibc/amd64/rootfs.tar.gz` (its dist-amd64 branch, BusyBox
// 1.38.0, buildroot 2026.05.1) lists it, less /lib's own libraries
// (upstream's busybox is dynamic, Debian's static) and /etc/nsswitch.conf's
// comments. The musl and uclibc variants list the same but for /lib.
var upstreamBusyboxTree = []struct {
	path     string
	kind     byte
	mode     int64
	uid, gid int
	target   string
}{
	{"bin", tar.TypeDir, 0o755, 0, 0, ""},
	{"bin/busybox", tar.TypeReg, 0o755, 0, 0, ""},
	{"bin/getconf", tar.TypeReg, 0o755, 0, 0, ""},
	{"dev", tar.TypeDir, 0o755, 0, 0, ""},
	{"etc", tar.TypeDir, 0o755, 0, 0, ""},
	{"etc/group", tar.TypeReg, 0o644, 0, 0, ""},
	{"etc/localtime", tar.TypeReg, 0o644, 0, 0, ""},
	{"etc/network", tar.TypeDir, 0o755, 0, 0, ""},
	{"etc/network/if-down.d", tar.TypeDir, 0o755, 0, 0, ""},
	{"etc/network/if-post-down.d", tar.TypeDir, 0o755, 0, 0, ""},
	{"etc/network/if-pre-up.d", tar.TypeDir, 0o755, 0, 0, ""},
	{"etc/network/if-up.d", tar.TypeDir, 0o755, 0, 0, ""},
	{"etc/nsswitch.conf", tar.TypeReg, 0o644, 0, 0, ""},
	{"etc/passwd", tar.TypeReg, 0o644, 0, 0, ""},
	{"etc/shadow", tar.TypeReg, 0o600, 0, 0, ""},
	{"home", tar.TypeDir, 0o755, 65534, 65534, ""},
	{"lib", tar.TypeDir, 0o755, 0, 0, ""},
	{"lib64", tar.TypeSymlink, 0o777, 0, 0, "lib"},
	{"root", tar.TypeDir, 0o700, 0, 0, ""},
	{"tmp", tar.TypeDir, 0o1777, 0, 0, ""},
	{"usr", tar.TypeDir, 0o755, 0, 0, ""},
	{"usr/bin", tar.TypeDir, 0o755, 0, 0, ""},
	{"usr/bin/env", tar.TypeSymlink, 0o777, 0, 0, "../../bin/env"},
	{"usr/sbin", tar.TypeDir, 0o755, 1, 1, ""},
	{"var", tar.TypeDir, 0o755, 0, 0, ""},
	{"var/spool", tar.TypeDir, 0o755, 0, 0, ""},
	{"var/spool/mail", tar.TypeDir, 0o755, 8, 8, ""},
	{"var/www", tar.TypeDir, 0o755, 0, 0, ""},
}

// upstreamPasswd and upstreamGroup are that rootfs's /etc/passwd and
// /etc/group (buildroot's system/skeleton), line for line.
var (
	upstreamPasswd = []string{
		"root:x:0:0:root:/root:/bin/sh",
		"daemon:x:1:1:daemon:/usr/sbin:/bin/false",
		"bin:x:2:2:bin:/bin:/bin/false",
		"sys:x:3:3:sys:/dev:/bin/false",
		"sync:x:4:100:sync:/bin:/bin/sync",
		"mail:x:8:8:mail:/var/spool/mail:/bin/false",
		"www-data:x:33:33:www-data:/var/www:/bin/false",
		"operator:x:37:37:Operator:/var:/bin/false",
		"nobody:x:65534:65534:nobody:/home:/bin/false",
	}
	upstreamGroup = []string{
		"root:x:0:", "daemon:x:1:", "bin:x:2:", "sys:x:3:", "adm:x:4:", "tty:x:5:", "disk:x:6:",
		"lp:x:7:", "mail:x:8:", "kmem:x:9:", "wheel:x:10:root", "cdrom:x:11:", "dialout:x:18:",
		"floppy:x:19:", "video:x:28:", "audio:x:29:", "tape:x:32:", "www-data:x:33:",
		"operator:x:37:", "utmp:x:43:", "plugdev:x:46:", "staff:x:50:", "lock:x:54:",
		"netdev:x:82:", "users:x:100:", "nobody:x:65534:",
	}
)

// docsTools are the commands the Kubernetes docs and tutorials run in
// busybox (init containers' nslookup and sh -c loops, probes' cat and
// touch, the network policy walkthrough's wget --spider --timeout, the
// downward API's printenv, DNS debugging's cat /etc/resolv.conf, ...):
// each must be a program in /bin, as in upstream's image.
var docsTools = []string{
	"sh", "sleep", "echo", "env", "printenv", "cat", "touch", "rm", "ls", "mkdir", "date", "df",
	"id", "whoami", "hostname", "nslookup", "wget", "ping", "nc", "telnet", "ip", "ifconfig",
	"netstat", "route", "traceroute", "ps", "top", "kill", "true", "false", "test", "[",
	"grep", "sed", "awk", "head", "tail", "wc", "tr", "cut", "sort", "uniq", "xargs", "tee",
	"dd", "du", "free", "uptime", "mount", "find", "vi", "timeout", "seq", "md5sum",
	"sha256sum", "base64", "tar", "gzip", "httpd", "getconf", "which",
}

func TestBusyboxTreeIsUpstreams(t *testing.T) {
	entries, order := layerEntries(t, build(t, withBusybox(t, Busybox)))
	for _, want := range upstreamBusyboxTree {
		e, ok := entries[want.path]
		if !ok {
			t.Errorf("/%s missing", want.path)
			continue
		}
		h := e.hdr
		if h.Typeflag != want.kind || h.Mode != want.mode || h.Uid != want.uid || h.Gid != want.gid || h.Linkname != want.target {
			t.Errorf("/%s: type %c mode %o owner %d:%d -> %q, want type %c mode %o owner %d:%d -> %q",
				want.path, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Linkname, want.kind, want.mode, want.uid, want.gid, want.target)
		}
	}
	for name, want := range map[string][]string{"etc/passwd": upstreamPasswd, "etc/group": upstreamGroup} {
		if got := strings.Split(strings.TrimSuffix(string(entries[name].data), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("/%s:\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	// Root's password is locked, not empty (CVE-2019-5021; upstream's sed).
	if !bytes.HasPrefix(entries["etc/shadow"].data, []byte("root:*:")) {
		t.Errorf("/etc/shadow: %q", entries["etc/shadow"].data)
	}
	// UTC, as upstream's Dockerfile.builder makes sure with date +%Z.
	if !bytes.HasPrefix(entries["etc/localtime"].data, []byte("TZif")) {
		t.Error("/etc/localtime is no zoneinfo file")
	}
	// A hard link must come after the file it names, or it cannot be unpacked.
	seen := map[string]bool{}
	for _, name := range order {
		if h := entries[name].hdr; h.Typeflag == tar.TypeLink && !seen[h.Linkname] {
			t.Errorf("/%s comes before /%s, which it links to", name, h.Linkname)
		}
		seen[name] = true
	}
}

// TestBusyboxHasEveryApplet: upstream's Dockerfile.builder runs
// `busybox --install /bin`, a hard link in /bin for each applet the binary
// has; so must keks for each applet the binary lists.
func TestBusyboxHasEveryApplet(t *testing.T) {
	entries, _ := layerEntries(t, build(t, withBusybox(t, Busybox)))
	out, err := exec.Command(string(testBusybox(t)), "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	applets := strings.Fields(string(out))
	if len(applets) < 200 {
		t.Fatalf("busybox --list gave %d applets", len(applets))
	}
	for _, a := range applets {
		e, ok := entries["bin/"+a]
		switch {
		case a == "busybox":
		case !ok:
			t.Errorf("/bin/%s missing", a)
		case e.hdr.Typeflag != tar.TypeLink || e.hdr.Linkname != "bin/busybox":
			t.Errorf("/bin/%s: type %c -> %q, want a hard link to bin/busybox", a, e.hdr.Typeflag, e.hdr.Linkname)
		}
	}
	for _, tool := range docsTools {
		if e, ok := entries["bin/"+tool]; !ok || e.hdr.Mode&0o111 == 0 {
			t.Errorf("/bin/%s, which the Kubernetes docs run, is missing", tool)
		}
	}
}
