package ec2

import "testing"

func TestNodeImages(t *testing.T) {
	imgs := NodeImages()
	if len(imgs) == 0 {
		t.Fatal("no node images")
	}
	for _, img := range imgs {
		again, ok := LookupNodeImage(img.ID)
		if !ok || again != img || img.Created.IsZero() || img.Name == "" {
			t.Errorf("%s: %+v, looked up %+v %v", img.ID, img, again, ok)
		}
	}
	if old, ok := LookupNodeImage("ami-keks-1-37-0-20260101"); !ok || old.Patch != "1.37.0" || old.Minor != "1.37" {
		t.Errorf("an older patch's image: %+v %v", old, ok)
	}
	for _, id := range []string{"ami-keks-1-20-0-20260101", "ami-keks-1-37-0-2026", "ami-0123456789abcdef0"} {
		if _, ok := LookupNodeImage(id); ok {
			t.Errorf("%s is no node image", id)
		}
	}
}
