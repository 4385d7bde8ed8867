package images

import (
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// blockTools are what the EBS CSI driver's node plugin runs to find,
// format, check, mount and grow a volume (k8s.io/mount-utils execs them by
// name), as its upstream image (EKS Distro's minimal base for CSI EBS)
// carries them: Debian's util-linux, e2fsprogs and xfsprogs, with their
// libraries.
var blockTools = map[string]string{
	"/usr/bin/mount": "usr/bin/mount", "/usr/bin/umount": "usr/bin/umount", "/usr/bin/lsblk": "usr/bin/lsblk",
	"/usr/bin/findmnt": "usr/bin/findmnt", "/usr/sbin/blkid": "usr/sbin/blkid", "/usr/sbin/blockdev": "usr/sbin/blockdev",
	"/usr/sbin/fsck": "usr/sbin/fsck", "/usr/sbin/e2fsck": "usr/sbin/e2fsck", "/usr/sbin/mke2fs": "usr/sbin/mke2fs",
	"/usr/sbin/resize2fs": "usr/sbin/resize2fs", "/usr/sbin/dumpe2fs": "usr/sbin/dumpe2fs", "/usr/sbin/tune2fs": "usr/sbin/tune2fs",
	"/usr/sbin/mkfs.xfs": "usr/sbin/mkfs.xfs", "/usr/sbin/xfs_growfs": "usr/sbin/xfs_growfs", "/usr/sbin/xfs_io": "usr/sbin/xfs_io",
	"/usr/sbin/xfs_repair": "usr/sbin/xfs_repair",
}

// EBSCSIDriver is ebs-csi-driver/aws-ebs-csi-driver: AWS's driver (keks's
// build of the release from the Go module proxy) at /bin/aws-ebs-csi-driver,
// where its node DaemonSet's preStop hook runs it, with the block tools.
func EBSCSIDriver(binary string) (v1.Image, error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("read %s (run keks build-kubernetes): %w", binary, err)
	}
	l, err := eksDistroBase()
	if err != nil {
		return nil, err
	}
	l.file("bin/aws-ebs-csi-driver", data, 0o755)
	hostPaths := []string{}
	for host, name := range blockTools {
		if err := l.addHostFile(host, name, 0o755); err != nil {
			return nil, fmt.Errorf("%w (install util-linux, e2fsprogs and xfsprogs)", err)
		}
		if err := l.addLibrariesFlat(host); err != nil {
			return nil, err
		}
		hostPaths = append(hostPaths, host)
	}
	// e2fsprogs's names for ext4 are links to its programs.
	l.symlink("usr/sbin/mkfs.ext4", "mke2fs")
	l.symlink("usr/sbin/mkfs.ext3", "mke2fs")
	l.symlink("usr/sbin/fsck.ext4", "e2fsck")
	l.symlink("usr/sbin/fsck.ext3", "e2fsck")
	created, err := packagedTime(hostPaths...)
	if err != nil {
		return nil, err
	}
	return image(l, created, "aws-ebs-csi-driver (keks build) with Debian's util-linux and e2fsprogs", func(c *v1.Config) {
		c.Entrypoint = []string{"/bin/aws-ebs-csi-driver"}
		c.User = "0"
		c.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	})
}

// CSISidecars is keks/csi-sidecars: keks's CSI sidecars (cmd/csi-sidecars:
// csi-provisioner, csi-resizer, csi-node-driver-registrar, livenessprobe,
// which the Go module proxy does not serve) as one program, linked at
// /<sidecar> as the upstream images have them, each running as its name.
func CSISidecars(program string) (v1.Image, error) {
	data, err := os.ReadFile(program)
	if err != nil {
		return nil, fmt.Errorf("read csi-sidecars (make keks builds it beside keks): %w", err)
	}
	l, err := eksDistroBase()
	if err != nil {
		return nil, err
	}
	l.file("csi-sidecars", data, 0o755)
	for _, name := range CSISidecarNames {
		l.symlink(name, "csi-sidecars")
	}
	return image(l, epoch, "keks/csi-sidecars: keks's CSI sidecars", func(c *v1.Config) {
		c.Entrypoint = []string{"/csi-sidecars"}
		c.User = "65532"
	})
}

// CSISidecarNames are the sidecars keks/csi-sidecars runs, by the paths of
// their upstream images' programs.
var CSISidecarNames = []string{"csi-provisioner", "csi-resizer", "csi-node-driver-registrar", "livenessprobe"}
