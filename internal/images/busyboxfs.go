package images

// dirSpec is a directory an image has whether or not a file is in it.
type dirSpec struct {
	path     string
	mode     int64
	uid, gid int
}

// busyboxDirs are the directories of docker-library's busybox rootfs,
// as its rootfs.tar.gz lists them (all three variants agree): buildroot's
// device table makes /root 0700 and /tmp 1777; each account's missing home
// is made its owner's (nobody's /home, daemon's /usr/sbin, mail's
// /var/spool/mail); /var/www stays root's, the device table having made it.
var busyboxDirs = []dirSpec{
	{"bin", 0o755, 0, 0},
	{"dev", 0o755, 0, 0},
	{"etc", 0o755, 0, 0},
	{"etc/network", 0o755, 0, 0},
	{"etc/network/if-down.d", 0o755, 0, 0},
	{"etc/network/if-post-down.d", 0o755, 0, 0},
	{"etc/network/if-pre-up.d", 0o755, 0, 0},
	{"etc/network/if-up.d", 0o755, 0, 0},
	{"home", 0o755, 65534, 65534},
	{"lib", 0o755, 0, 0},
	{"root", 0o700, 0, 0},
	{"tmp", 0o1777, 0, 0},
	{"usr", 0o755, 0, 0},
	{"usr/bin", 0o755, 0, 0},
	{"usr/sbin", 0o755, 1, 1},
	{"var", 0o755, 0, 0},
	{"var/spool", 0o755, 0, 0},
	{"var/spool/mail", 0o755, 8, 8},
	{"var/www", 0o755, 0, 0},
}

// busyboxPasswd, busyboxGroup and busyboxShadow are buildroot's skeleton
// files, which docker-library's busybox copies in, root's password locked
// ("*") as it does for CVE-2019-5021.
const (
	busyboxPasswd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`
	busyboxGroup = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nobody:x:65534:
`
	busyboxShadow = `root:*:::::::
daemon:*:::::::
bin:*:::::::
sys:*:::::::
sync:*:::::::
mail:*:::::::
www-data:*:::::::
operator:*:::::::
nobody:*:::::::
`
)

// debianNsswitch is Debian's default /etc/nsswitch.conf (base-files), which
// docker-library's glibc busybox copies in: glibc, static or not, reads it
// for user and host lookups.
const debianNsswitch = `passwd:         files
group:          files
shadow:         files
gshadow:        files

hosts:          files dns
networks:       files

protocols:      db files
services:       db files
ethers:         db files
rpc:            db files

netgroup:       nis
`
