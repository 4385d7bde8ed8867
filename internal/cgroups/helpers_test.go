package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// put writes files of a fake cgroup tree, making their directories.
func put(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// read is a file of the fake tree, "<missing>" when there is none.
func read(t *testing.T, root, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, name))
	if os.IsNotExist(err) {
		return "<missing>"
	} else if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// recorder stands in for rmdir(2) and kill(2): a fake tree's directories
// hold plain files, which the kernel's cgroup directories do not.
type recorder struct {
	removed []string
	killed  []int
}

func (r *recorder) rmdir(dir string) error {
	r.removed = append(r.removed, dir)
	return os.RemoveAll(dir)
}

func (r *recorder) kill(pid int) error {
	r.killed = append(r.killed, pid)
	return nil
}

func (r *recorder) removedUnder(root string) string {
	var rel []string
	for _, d := range r.removed {
		p, _ := filepath.Rel(root, d)
		rel = append(rel, p)
	}
	return strings.Join(rel, " ")
}
