package images

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"strings"
	"time"
)

// addHostFile copies a file of the host into the layer at name.
func (l *layer) addHostFile(hostPath, name string, mode int64) error {
	data, err := os.ReadFile(hostPath)
	if err != nil {
		return fmt.Errorf("read %s: %w", hostPath, err)
	}
	l.file(name, data, mode)
	return nil
}

// sharedLibraries lists the libraries the dynamic linker loads for bin on
// the host, each as ldd names it.
func sharedLibraries(bin string) ([]string, error) {
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", bin, err)
	}
	var libs []string
	for _, line := range strings.Split(string(out), "\n") {
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "/") {
				libs = append(libs, f)
			}
		}
	}
	return libs, nil
}

// addLibrariesFlat adds the shared libraries bin loads into /lib, with
// /lib64 a link to it, as docker-library's glibc busybox lays them out: the
// linker's default search path and the interpreter path of amd64 binaries
// both lead there.
func (l *layer) addLibrariesFlat(bin string) error {
	libs, err := sharedLibraries(bin)
	if err != nil {
		return err
	}
	for _, lib := range libs {
		if err := l.addHostFile(lib, "lib/"+path.Base(lib), 0o755); err != nil {
			return err
		}
	}
	l.symlink("lib64", "lib")
	return nil
}

// packagedTime is when the newest of the host files was built: Debian
// dates a package's files at its build, so this is reproducible for given
// package versions, as upstream dates its images by their sources' release.
func packagedTime(hostPaths ...string) (time.Time, error) {
	var newest time.Time
	for _, p := range hostPaths {
		st, err := os.Stat(p)
		if err != nil {
			return time.Time{}, err
		}
		if t := st.ModTime().UTC(); t.After(newest) {
			newest = t
		}
	}
	return newest, nil
}
