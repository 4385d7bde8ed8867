package images

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// curl is Debian's, for keks/shell.
const curl = "/usr/bin/curl"

// Shell is keks/shell: busybox as docker-library lays it out, with curl
// (Debian's, its libraries in /lib beside getconf's, and Debian's CA
// certificates) for HTTPS that checks certificates, which busybox's wget
// does not do.
func Shell(bb BusyboxBinary) (v1.Image, error) {
	l, busyboxBuilt, version, err := bb.root()
	if err != nil {
		return nil, err
	}
	if err := l.addHostFile(curl, "usr/bin/curl", 0o755); err != nil {
		return nil, fmt.Errorf("%w (install curl)", err)
	}
	if err := l.addLibrariesFlat(curl); err != nil {
		return nil, err
	}
	if err := l.addHostFile(caCertificates, "etc/ssl/certs/ca-certificates.crt", 0o644); err != nil {
		return nil, fmt.Errorf("%w (install ca-certificates)", err)
	}
	created, err := packagedTime(curl)
	if err != nil {
		return nil, err
	}
	if busyboxBuilt.After(created) {
		created = busyboxBuilt
	}
	return image(l, created, "keks/shell: BusyBox "+version+" and Debian's curl", func(c *v1.Config) {
		c.Cmd = []string{"sh"}
	})
}

// helloScript serves a page naming the pod, with busybox httpd, and stops at
// once on SIGTERM.
const helloScript = `#!/bin/sh
mkdir -p /tmp/www
echo "Hello from $(hostname)" > /tmp/www/index.html
echo "hello: listening on :${PORT:-8080}"
# As PID 1, httpd would ignore SIGTERM and every stop would wait out the grace period.
httpd -f -v -p "${PORT:-8080}" -h /tmp/www &
trap 'kill $!; exit 0' TERM INT
wait $!
`

// Hello is keks/hello, the sample web application: it answers with the
// name of the pod that served it.
func Hello(bb BusyboxBinary) (v1.Image, error) {
	l, created, version, err := bb.root()
	if err != nil {
		return nil, err
	}
	l.file("usr/local/bin/hello", []byte(helloScript), 0o755)
	return image(l, created, "keks/hello: BusyBox "+version+" httpd", func(c *v1.Config) {
		c.Entrypoint = []string{"/usr/local/bin/hello"}
		c.ExposedPorts = map[string]struct{}{"8080/tcp": {}}
	})
}
