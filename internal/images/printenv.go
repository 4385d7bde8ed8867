package images

// printenvScript stands in for busybox's printenv applet, which Debian's
// busybox-static leaves out and docker-library's busybox has: the
// Kubernetes docs' downward API and ConfigMap pages run
// `printenv MY_NODE_NAME MY_POD_NAME ...` in busybox. As the applet: no
// names prints the whole environment, else each named variable's value,
// and the status is 1 when one is not set. awk's ENVIRON takes any name as
// it is, where a shell would have to eval it.
const printenvScript = `#!/bin/sh
# printenv as busybox's (see keks internal/images/printenv.go).
[ "$#" -eq 0 ] && exec env
exec awk 'BEGIN { status = 0; for (i = 1; i < ARGC; i++) { if (ARGV[i] in ENVIRON) print ENVIRON[ARGV[i]]; else status = 1 }; exit status }' "$@"
`
