package awspolicies

import (
	"encoding/json"
	"io/fs"
	"path"
	"strings"
	"testing"
	"time"
)

func TestDataFilesRecordTheirSource(t *testing.T) {
	names, err := fs.Glob(dataFS, "data/*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no data files: %v", err)
	}
	for _, name := range names {
		raw, err := dataFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var f policyFile
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if f.Name != strings.TrimSuffix(path.Base(name), ".json") {
			t.Errorf("%s holds policy %q", name, f.Name)
		}
		if f.Source.Document == "" || f.Source.Metadata == "" || f.Source.Description == "" {
			t.Errorf("%s: source not recorded: %+v", name, f.Source)
		}
	}
}

func TestDecodingAllDataIsFast(t *testing.T) {
	// The catalog is decoded on first use; keep that well under 50 ms.
	best := time.Hour
	for range 3 {
		start := time.Now()
		if _, err := decodeAll(); err != nil {
			t.Fatal(err)
		}
		best = min(best, time.Since(start))
	}
	t.Logf("decoding all policies took %v", best)
	if best > 50*time.Millisecond {
		t.Errorf("decoding all policies took %v, want well under 50ms", best)
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := decodeAll(); err != nil {
			b.Fatal(err)
		}
	}
}
