package images

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// pauseSource is keks's pod sandbox process. It behaves as Kubernetes'
// build/pause does: it holds the pod's namespaces doing nothing, exits 0 at
// once on SIGTERM or SIGINT (so a pod stops without waiting out its grace
// period), reaps the zombies a shared process namespace leaves it, warns
// when it is not PID 1 and prints its version for -v. It is C, compiled
// static and small as upstream's: one runs in every pod.
const pauseSource = `#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *s) {
	ssize_t unused = write(2, s, strlen(s));
	(void)unused;
}

static void shut_down(int sig) {
	say(sig == SIGTERM ? "Shutting down, got signal: Terminated\n" : "Shutting down, got signal: Interrupt\n");
	_exit(0);
}

static void reap_children(int sig) {
	int saved = errno;
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0) {
	}
	errno = saved;
}

int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		if (strcasecmp(argv[i], "-v") == 0) {
			printf("pause (keks) %s\n", VERSION);
			return 0;
		}
	}
	if (getpid() != 1)
		say("Warning: pause should be the first process\n");
	struct sigaction down = {.sa_handler = shut_down};
	struct sigaction child = {.sa_handler = reap_children, .sa_flags = SA_NOCLDSTOP | SA_RESTART};
	if (sigaction(SIGINT, &down, NULL) != 0 || sigaction(SIGTERM, &down, NULL) != 0 || sigaction(SIGCHLD, &child, NULL) != 0)
		return 1;
	/* A child may have ended before the handler was there. */
	reap_children(0);
	for (;;)
		pause();
}
`

// pauseBinary is pauseSource compiled, once per process.
var pauseBinary = sync.OnceValues(compilePause)

// compilePause compiles pauseSource as upstream's Makefile does. gcc's
// output for the same source, compiler and libc is the same bytes, so the
// image's digest is stable.
func compilePause() ([]byte, error) {
	dir, err := os.MkdirTemp("", "keks-pause-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "pause")
	cmd := exec.Command("gcc", "-Os", "-Wall", "-Werror", "-static", "-s", `-DVERSION="`+PauseTag+`"`, "-x", "c", "-o", out, "-")
	cmd.Stdin = strings.NewReader(pauseSource)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("compile pause (install gcc and libc6-dev): %w: %s", err, msg)
	}
	return os.ReadFile(out)
}

// Pause is registry.k8s.io/pause as Kubernetes' build/pause/Dockerfile
// makes it: FROM scratch, the static binary at /pause, ENTRYPOINT
// ["/pause"], USER 65535:65535; PATH is BuildKit's default.
func Pause() (v1.Image, error) {
	bin, err := pauseBinary()
	if err != nil {
		return nil, err
	}
	l := newLayer()
	l.file("pause", bin, 0o755)
	return image(l, epoch, "pause "+PauseTag+" (keks): /pause, gcc -Os -static", func(c *v1.Config) {
		c.Entrypoint = []string{"/pause"}
		c.User = "65535:65535"
	})
}

// EKSPause is EKS's eks/pause as EKS Distro builds it (eks-distro's
// projects/kubernetes/kubernetes/docker/pause/Dockerfile and Makefile): the
// same program on EKS Distro's minimal nonroot base, whose USER is 65532.
func EKSPause() (v1.Image, error) {
	bin, err := pauseBinary()
	if err != nil {
		return nil, err
	}
	l, err := eksDistroBase()
	if err != nil {
		return nil, err
	}
	l.file("pause", bin, 0o755)
	return image(l, epoch, "pause "+PauseTag+" (keks): /pause on EKS Distro's minimal base layout", func(c *v1.Config) {
		c.Entrypoint = []string{"/pause"}
		c.User = "65532"
	})
}
