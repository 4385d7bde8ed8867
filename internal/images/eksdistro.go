package images

import "fmt"

// eksDistroBase is what a program in an EKS Distro image finds around it
// from EKS Distro's minimal base (eks-distro-build-tooling's
// eks-distro-base/Dockerfile.minimal-base and its files/etc): the accounts
// root, nobody and nonroot, their name service configuration, /tmp (1777),
// nonroot's home and the CA bundle where Amazon Linux's ca-certificates
// puts it, with Debian's certificates in it. The rest of that base (Amazon
// Linux's filesystem package, tzdata) nothing in keks's EKS images reads.
func eksDistroBase() (*layer, error) {
	l := newLayer()
	l.dir("tmp", 0o1777, 0, 0)
	l.dir("home/nonroot", 0o755, 65532, 65532)
	l.file("etc/passwd", []byte(eksDistroPasswd), 0o644)
	l.file("etc/group", []byte(eksDistroGroup), 0o644)
	l.file("etc/nsswitch.conf", []byte(eksDistroNsswitch), 0o644)
	if err := l.addHostFile(caCertificates, "etc/pki/tls/certs/ca-bundle.crt", 0o644); err != nil {
		return nil, fmt.Errorf("%w (install ca-certificates)", err)
	}
	l.symlink("etc/ssl/certs", "../pki/tls/certs")
	return l, nil
}

const (
	eksDistroPasswd = `root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
`
	eksDistroGroup = `root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
`
	eksDistroNsswitch = `passwd:         compat
group:          compat
shadow:         compat
gshadow:        files

hosts:          files dns
networks:       files

protocols:      files
services:       files
ethers:         files
rpc:            files
`
)
