package images

// wgetWithTimeout stands at /bin/wget in the busybox images, in place of
// the applet's link. Debian builds busybox-static without wget's timeout
// (FEATURE_WGET_TIMEOUT): the applet then dies of a segmentation fault on
// -T (getopt32 stores the number through a NULL pointer) and refuses
// --timeout, and docker-library's busybox, built with busybox's defaults,
// has both. The Kubernetes docs' network policy walkthrough runs
// `wget --spider --timeout=1 nginx` and expects "download timed out" when
// a policy drops the connection. So the timeout is taken off the command
// line here and kept over the whole download with busybox's timeout
// applet; upstream's covers each connect and read, which for the small
// fetches of the docs comes to the same. Every other argument goes to the
// applet as it came, an option's value too (wget -O -T is a file named -T).
const wgetWithTimeout = `#!/bin/sh
# busybox wget, with -T SEC / --timeout=SEC as docker-library's busybox has them (see keks internal/images/wget.go).
seconds=
next=
n=$#
while [ "$n" -gt 0 ]; do
	arg=$1
	shift
	n=$((n - 1))
	case $next in
	seconds) seconds=$arg; next=; continue ;;
	value) set -- "$@" "$arg"; next=; continue ;;
	end) set -- "$@" "$arg"; continue ;;
	esac
	case $arg in
	-T | --timeout) next=seconds; continue ;;
	-T?*) seconds=${arg#-T}; continue ;;
	--timeout=*) seconds=${arg#--timeout=}; continue ;;
	-[cqS]*T*)
		flags=${arg%%T*}
		case ${flags#-} in
		*[!cqS]*) ;;
		*)
			set -- "$@" "$flags"
			seconds=${arg#*T}
			[ -n "$seconds" ] || next=seconds
			continue
			;;
		esac
		;;
	-O | -o | -P | -U | -Y | -t | --header | --post-data | --post-file | --output-document | --output-file | --directory-prefix | --user-agent | --proxy | --tries)
		next=value
		;;
	--) next=end ;;
	esac
	set -- "$@" "$arg"
done
if [ -z "$seconds" ]; then
	exec /bin/busybox wget "$@"
fi
/bin/busybox timeout "$seconds" /bin/busybox wget "$@"
status=$?
# timeout ends wget with SIGTERM; upstream's wget says this and exits 1.
if [ "$status" -eq 143 ]; then
	echo "wget: download timed out" >&2
	exit 1
fi
exit "$status"
`
