package images

import (
	"fmt"
	"os/exec"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// busybox is Debian's busybox-static; getconf is Debian's (libc-bin), which
// docker-library's busybox copies in too.
const (
	busybox = "/bin/busybox"
	getconf = "/usr/bin/getconf"
)

// Busybox is what `busybox` resolves to, docker.io's library/busybox: its
// filesystem (see busyboxRoot), CMD ["sh"] and PATH, no user (root) and
// no working directory, as docker-library/busybox's Dockerfile and image
// config have them.
func Busybox() (v1.Image, error) {
	l, created, version, err := busyboxRoot()
	if err != nil {
		return nil, err
	}
	return image(l, created, "BusyBox "+version+", laid out as docker-library's busybox by keks", func(c *v1.Config) {
		c.Cmd = []string{"sh"}
	})
}

// busyboxRoot is the filesystem of docker-library's busybox image, glibc
// variant, the one its latest tag names (its Dockerfile.builder and the
// rootfs.tar.gz it publishes): busybox in /bin with a hard link for every
// applet, buildroot's skeleton /etc/passwd, /etc/group and /etc/shadow,
// Debian's nsswitch.conf, UTC as local time, the directories the accounts'
// homes and buildroot's device table name with their owners and modes,
// getconf with its libraries in /lib (/lib64 a link to it) and
// /usr/bin/env. Where Debian's busybox lacks what upstream's has, wget's
// timeout and printenv, scripts stand in (wget.go, printenv.go). Other
// images of keks start from it too. It comes dated and named by the
// busybox package's build.
func busyboxRoot() (l *layer, created time.Time, version string, err error) {
	l = newLayer()
	for _, d := range busyboxDirs {
		l.dir(d.path, d.mode, d.uid, d.gid)
	}
	l.file("etc/passwd", []byte(busyboxPasswd), 0o644)
	l.file("etc/group", []byte(busyboxGroup), 0o644)
	l.file("etc/shadow", []byte(busyboxShadow), 0o600)
	l.file("etc/nsswitch.conf", []byte(debianNsswitch), 0o644)
	if err := l.addHostFile("/usr/share/zoneinfo/UTC", "etc/localtime", 0o644); err != nil {
		return nil, time.Time{}, "", fmt.Errorf("%w (install tzdata)", err)
	}
	if err := l.addHostFile(busybox, "bin/busybox", 0o755); err != nil {
		return nil, time.Time{}, "", fmt.Errorf("%w (install busybox-static)", err)
	}
	applets, err := busyboxApplets()
	if err != nil {
		return nil, time.Time{}, "", err
	}
	for _, a := range applets {
		l.hardlink("bin/"+a, "bin/busybox")
	}
	l.file("bin/wget", []byte(wgetWithTimeout), 0o755)
	if _, ok := l.entries["bin/printenv"]; !ok {
		l.file("bin/printenv", []byte(printenvScript), 0o755)
	}
	if err := l.addHostFile(getconf, "bin/getconf", 0o755); err != nil {
		return nil, time.Time{}, "", fmt.Errorf("%w (install libc-bin)", err)
	}
	if err := l.addLibrariesFlat(getconf); err != nil {
		return nil, time.Time{}, "", err
	}
	l.symlink("usr/bin/env", "../../bin/env")
	if created, err = packagedTime(busybox); err != nil {
		return nil, time.Time{}, "", err
	}
	if version, err = busyboxVersion(); err != nil {
		return nil, time.Time{}, "", err
	}
	return l, created, version, nil
}

// busyboxApplets are the applets the host's busybox lists, but itself.
func busyboxApplets() ([]string, error) {
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("list busybox applets: %w", err)
	}
	var applets []string
	for _, a := range strings.Fields(string(out)) {
		if a != "busybox" && !strings.Contains(a, "/") {
			applets = append(applets, a)
		}
	}
	return applets, nil
}

// busyboxVersion is the version busybox's banner gives, e.g.
// "v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)".
func busyboxVersion() (string, error) {
	out, err := exec.Command(busybox, "--help").Output()
	if err != nil {
		return "", fmt.Errorf("busybox --help: %w", err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	v := strings.TrimSuffix(strings.TrimPrefix(first, "BusyBox "), " multi-call binary.")
	if v == first {
		return "", fmt.Errorf("busybox banner %q", first)
	}
	return v, nil
}
