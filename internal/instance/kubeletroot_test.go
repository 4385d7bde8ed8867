package instance

import (
	"os"
	"path/filepath"
	"testing"
)

// TestKubeletRootInTheView: an instance whose machine view was made with
// its kubelet directory bound at /var/lib/kubelet runs its kubelet there;
// one made by an older keks, or run without a view, keeps its host path.
func TestKubeletRootInTheView(t *testing.T) {
	s := &Spec{ID: "i-0123456789abcdef0", Dir: t.TempDir()}
	if got := s.kubeletRootFor(true); got != s.kubeletRoot() {
		t.Errorf("a view without the marker: root %s, want %s", got, s.kubeletRoot())
	}
	if err := os.MkdirAll(filepath.Dir(s.kubeletRootInViewMarker()), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.kubeletRootInViewMarker(), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := s.kubeletRootFor(true); got != "/var/lib/kubelet" {
		t.Errorf("a view with the marker: root %s, want /var/lib/kubelet", got)
	}
	if got := s.kubeletRootFor(false); got != s.kubeletRoot() {
		t.Errorf("no view: root %s, want %s", got, s.kubeletRoot())
	}
}
