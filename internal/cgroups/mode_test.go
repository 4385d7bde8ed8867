package cgroups

import (
	"os"
	"path/filepath"
	"testing"
)

func fakeFS(root string, types map[string]int64) FS {
	return FS{Root: root, fsType: func(path string) (int64, error) {
		rel, _ := filepath.Rel(root, path)
		if t, ok := types[rel]; ok {
			return t, nil
		}
		return 0, os.ErrNotExist
	}}
}

const tmpfsMagic = 0x01021994

func TestModeFromFilesystemTypes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		types map[string]int64
		want  Mode
	}{
		{"v2", map[string]int64{".": cgroup2Magic}, Unified},
		{"hybrid", map[string]int64{".": tmpfsMagic, "memory": cgroupMagic, "unified": cgroup2Magic}, Hybrid},
		{"v1", map[string]int64{".": tmpfsMagic, "memory": cgroupMagic}, V1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fakeFS(t.TempDir(), tc.types).Mode()
			if err != nil || got != tc.want {
				t.Errorf("Mode() = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestModeRefusesWhatIsNoCgroupFilesystem(t *testing.T) {
	if m, err := fakeFS(t.TempDir(), map[string]int64{".": tmpfsMagic}).Mode(); err == nil {
		t.Errorf("a tmpfs without cgroup hierarchies is mode %v", m)
	}
	if m, err := (FS{Root: filepath.Join(t.TempDir(), "none")}).Mode(); err == nil {
		t.Errorf("a missing root is mode %v", m)
	}
}

func TestDriverFollowsTheMode(t *testing.T) {
	root := t.TempDir()
	d, err := fakeFS(root, map[string]int64{".": cgroup2Magic}).Driver()
	if v2, ok := d.(*V2Driver); err != nil || !ok || v2.Root != root {
		t.Errorf("v2 host: driver %#v, %v", d, err)
	}
	d, err = fakeFS(root, map[string]int64{".": tmpfsMagic, "memory": cgroupMagic, "unified": cgroup2Magic}).Driver()
	if v1, ok := d.(*V1Driver); err != nil || !ok || !v1.Hybrid || d.Mode() != Hybrid {
		t.Errorf("hybrid host: driver %#v, %v", d, err)
	}
}

// The real statfs path: whatever this machine runs, it is one of the modes.
func TestHostMode(t *testing.T) {
	if _, err := os.Stat("/sys/fs/cgroup"); err != nil {
		t.Skip("no /sys/fs/cgroup here")
	}
	m, err := Host().Mode()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("this host's cgroup mode: %v", m)
}
