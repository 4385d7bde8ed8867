package images

import (
	"fmt"
	"os"
	"path"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Debian's builds of what test/images/agnhost's Dockerfile installs from
// Alpine (bind-tools, curl, netcat-openbsd, iproute2, iperf, bash,
// util-linux-misc, socat) and of what Alpine's base has beside busybox
// (getent).
const (
	caCertificates = "/etc/ssl/certs/ca-certificates.crt"

	dig     = "/usr/bin/dig"
	getent  = "/usr/bin/getent"
	bash    = "/bin/bash"
	ncBSD   = "/usr/bin/nc.openbsd"
	socat   = "/usr/bin/socat"
	ipRoute = "/bin/ip"
	ss      = "/usr/bin/ss"
	ipcs    = "/usr/bin/ipcs"
	iperf   = "/usr/bin/iperf"
)

// agnhostTools are where each lands in the image: where Alpine puts them,
// ahead of busybox's applets of the same name on PATH.
var agnhostTools = map[string]string{
	dig:     "usr/bin/dig",
	getent:  "usr/bin/getent",
	bash:    "bin/bash",
	curl:    "usr/bin/curl",
	ncBSD:   "usr/bin/nc",
	socat:   "usr/bin/socat",
	ipRoute: "sbin/ip",
	ss:      "sbin/ss",
	ipcs:    "usr/bin/ipcs",
	iperf:   "usr/bin/iperf",
}

// agnhostRoot is test/images/agnhost's filesystem: /agnhost with the
// agnhost-2 link the entrypoint tests run, porter's certificate and key,
// netexec's /uploads, the tools, and the user and group a supplemental
// groups test expects the image to define.
func agnhostRoot(src TestImageSource) (*layer, error) {
	program, err := readProgram(src, "agnhost")
	if err != nil {
		return nil, err
	}
	l, _, _, err := src.Busybox.root()
	if err != nil {
		return nil, err
	}
	if err := l.addHostPrograms(agnhostTools); err != nil {
		return nil, err
	}
	bashAsSh(l)
	roots, err := os.ReadFile(caCertificates)
	if err != nil {
		return nil, fmt.Errorf("%w (install ca-certificates)", err)
	}
	l.file("etc/ssl/certs/ca-certificates.crt", append(roots, src.CACert...), 0o644)
	l.symlink("usr/local/bin/iperf", "/usr/bin/iperf")
	l.file("agnhost", program, 0o755)
	l.symlink("agnhost-2", "agnhost")
	for _, f := range []string{"localhost.crt", "localhost.key"} {
		if err := l.addHostFile(src.File("agnhost/porter/"+f), f, 0o644); err != nil {
			return nil, err
		}
	}
	l.dir("uploads", 0o755, 0, 0)
	l.file("etc/passwd", []byte(busyboxPasswd+"user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh\n"), 0o644)
	l.file("etc/group", []byte(busyboxGroup+"user-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n"), 0o644)
	l.dir("home/user-defined-in-image", 0o755, 1000, 1000)
	l.file("etc/os-release", []byte(agnhostOSRelease), 0o644)
	return l, nil
}

// agnhostOSRelease says what the image is: upstream's agnhost and the
// images on it are Alpine Linux 3.21 (test/images/agnhost/BASEIMAGE), whose
// os-release the suite reads to tell that an image volume holds kitten's
// files; keks's are busybox and Debian's tools in its place, and say so.
const agnhostOSRelease = `NAME="keks e2e test image base, in place of Alpine Linux"
ID=keks-e2e-test-image
VERSION_ID=3.21
PRETTY_NAME="BusyBox with Debian's tools, built by keks in place of agnhost's Alpine Linux v3.21 base"
HOME_URL="https://github.com/kubernetes/kubernetes/tree/master/test/images/agnhost"
`

func agnhostConfig(cmd ...string) func(*v1.Config) {
	return func(c *v1.Config) {
		c.Entrypoint = []string{"/agnhost"}
		c.Cmd = cmd
		c.ExposedPorts = map[string]struct{}{"80/tcp": {}, "8080/tcp": {}, "8081/tcp": {}, "9376/tcp": {}, "5000/tcp": {}}
	}
}

// agnhostWebsite is nautilus or kitten: agnhost serving its picture and
// data.json from / with test-webserver, for the kubectl rolling update test.
func agnhostWebsite(src TestImageSource, agnhost func() (*layer, error), name string) (v1.Image, error) {
	base, err := agnhost()
	if err != nil {
		return nil, err
	}
	l := base.clone()
	for _, f := range []string{name + ".jpg", "data.json"} {
		if err := l.addHostFile(src.File(path.Join(name, "html", f)), f, 0o644); err != nil {
			return nil, err
		}
	}
	return image(l, epoch, name+": agnhost test-webserver serving "+name+".jpg and data.json", agnhostConfig("test-webserver"))
}

// bashAsSh makes /bin/sh bash. Debian's static busybox runs its own applet
// for any command it has one of, ahead of PATH (Alpine's does not), so
// `sh -c "nc ..."` would get busybox's nc instead of the image's OpenBSD
// netcat, and likewise ip and wget; bash looks commands up on PATH. And
// busybox 1.35's ash drops environment variables whose names are no
// shell's ("data-1" from a ConfigMap) from what it runs; bash keeps them.
func bashAsSh(l *layer) {
	l.symlink("bin/sh", "bash")
}

// addHostPrograms copies host programs (host path -> path in the image)
// with the libraries they load.
func (l *layer) addHostPrograms(programs map[string]string) error {
	for hostPath, name := range programs {
		if err := l.addHostFile(hostPath, name, 0o755); err != nil {
			return fmt.Errorf("%w (install the Debian package that has it)", err)
		}
		if err := l.addLibrariesFlat(hostPath); err != nil {
			return err
		}
	}
	return nil
}
