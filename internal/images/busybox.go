package images

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// getconf is Debian's (libc-bin), which docker-library's busybox copies in
// too.
const getconf = "/usr/bin/getconf"

// BusyboxBinary is the path of a static busybox built from upstream's
// release as docker-library builds it (k8sbuild.BuildBusybox): what keks's
// busybox images and every image on their root are made of.
type BusyboxBinary string

// Busybox is what `busybox` resolves to, docker.io's library/busybox: its
// filesystem (see root), CMD ["sh"] and PATH, no user (root) and no
// working directory, as docker-library/busybox's Dockerfile and image
// config have them.
func Busybox(bb BusyboxBinary) (v1.Image, error) {
	l, created, version, err := bb.root()
	if err != nil {
		return nil, err
	}
	return image(l, created, "BusyBox "+version+", laid out as docker-library's busybox by keks", func(c *v1.Config) {
		c.Cmd = []string{"sh"}
	})
}

// root is the filesystem of docker-library's busybox image, glibc
// variant, the one its latest tag names (its Dockerfile.builder and the
// rootfs.tar.gz it publishes): busybox in /bin with a hard link for every
// applet, buildroot's skeleton /etc/passwd, /etc/group and /etc/shadow,
// Debian's nsswitch.conf, UTC as local time, the directories the accounts'
// homes and buildroot's device table name with their owners and modes,
// getconf with its libraries in /lib (/lib64 a link to it) and
// /usr/bin/env. Other images of keks start from it too. It comes dated and
// named by the busybox's banner, which gives its release.
func (bb BusyboxBinary) root() (l *layer, created time.Time, version string, err error) {
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
	if err := l.addHostFile(string(bb), "bin/busybox", 0o755); err != nil {
		return nil, time.Time{}, "", fmt.Errorf("%w (run keks build-kubernetes)", err)
	}
	applets, err := bb.applets()
	if err != nil {
		return nil, time.Time{}, "", err
	}
	for _, a := range applets {
		l.hardlink("bin/"+a, "bin/busybox")
	}
	if err := l.addHostFile(getconf, "bin/getconf", 0o755); err != nil {
		return nil, time.Time{}, "", fmt.Errorf("%w (install libc-bin)", err)
	}
	if err := l.addLibrariesFlat(getconf); err != nil {
		return nil, time.Time{}, "", err
	}
	l.symlink("usr/bin/env", "../../bin/env")
	if version, created, err = bb.banner(); err != nil {
		return nil, time.Time{}, "", err
	}
	return l, created, version, nil
}

// applets are the applets the busybox lists, but itself.
func (bb BusyboxBinary) applets() ([]string, error) {
	out, err := exec.Command(string(bb), "--list").Output()
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

var bannerPattern = regexp.MustCompile(`^BusyBox (v[^ ]+) \((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC\) multi-call binary\.`)

// banner is the version and build date busybox's banner gives, e.g.
// "BusyBox v1.37.0 (2024-09-26 00:00:00 UTC) multi-call binary.": keks
// builds it dated by its release.
func (bb BusyboxBinary) banner() (version string, built time.Time, err error) {
	out, err := exec.Command(string(bb), "--help").Output()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("busybox --help: %w", err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	m := bannerPattern.FindStringSubmatch(first)
	if m == nil {
		return "", time.Time{}, fmt.Errorf("busybox banner %q gives no version and UTC date", first)
	}
	built, err = time.Parse(time.DateTime, m[2])
	return m[1], built, err
}
