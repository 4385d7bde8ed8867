package kubeversions

import "testing"

// Node groups and SSM's public parameters name the same image.
func TestNodeImage(t *testing.T) {
	v, _ := Lookup("1.37")
	if got := v.NodeReleaseVersion(); got != "1.37.2-20261101" {
		t.Errorf("release = %q", got)
	}
	if got := NodeImageID(v.NodeReleaseVersion()); got != "ami-keks-1-37-2-20261101" {
		t.Errorf("image = %q", got)
	}
	if got := NodeImageDate().Format("2006-01-02"); got != "2026-11-01" {
		t.Errorf("date = %q", got)
	}
}
