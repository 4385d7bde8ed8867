package controlplane

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// mirrorPlaces is how far a cluster's log mirror got, kept beside its files
// so that a restarted keks goes on where it stopped instead of from the
// time it came back: lines the API servers wrote meanwhile are mirrored,
// and those mirrored before are not again (but for up to placesEvery of
// them after a crash).
type mirrorPlaces struct {
	// EnabledAt is when the cluster's logging was turned on: a pod first
	// seen is mirrored from then, or from its start if later.
	EnabledAt time.Time `json:"enabledAt"`
	// Last is the timestamp of the last line mirrored of each pod's
	// container ("<pod uid>/<container>").
	Last map[string]time.Time `json:"last"`
}

// placesFile is where a cluster's places are kept: not a *.log, so cplogs
// never ships it.
const placesFile = "mirror-places.json"

// placesEvery is how often a follower records its place while lines come.
const placesEvery = time.Second

func loadPlaces(dir string, now time.Time) (*mirrorPlaces, error) {
	p := &mirrorPlaces{Last: map[string]time.Time{}}
	data, err := os.ReadFile(filepath.Join(dir, placesFile))
	if errors.Is(err, fs.ErrNotExist) {
		p.EnabledAt = now
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the log mirror's places: %w", err)
	}
	if err := json.Unmarshal(data, p); err != nil || p.EnabledAt.IsZero() {
		// A torn or foreign file: start over from now, as a first start does.
		return &mirrorPlaces{EnabledAt: now, Last: map[string]time.Time{}}, nil
	}
	if p.Last == nil {
		p.Last = map[string]time.Time{}
	}
	return p, nil
}

// save writes the places whole, through a temporary file, so that a crash
// leaves the old ones or the new ones.
func (p *mirrorPlaces) save(dir string) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp := filepath.Join(dir, placesFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write the log mirror's places: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, placesFile))
}

// from is where a follower of key starts: after its last line, else when
// logging was turned on.
func (p *mirrorPlaces) from(key string) time.Time {
	if t, ok := p.Last[key]; ok {
		return t
	}
	return p.EnabledAt
}

// keepOnly forgets the places of pods no longer there, and says whether
// there were any.
func (p *mirrorPlaces) keepOnly(live map[string]bool) (changed bool) {
	for key := range p.Last {
		if !live[key] {
			delete(p.Last, key)
			changed = true
		}
	}
	return changed
}

// timestamped splits a line the kubelet prefixed with its timestamp
// (PodLogOptions.Timestamps) into both; ok is false for a line without one.
func timestamped(line []byte) (at time.Time, rest []byte, ok bool) {
	stamp, rest, found := bytes.Cut(line, []byte(" "))
	if !found {
		return time.Time{}, line, false
	}
	at, err := time.Parse(time.RFC3339Nano, string(stamp))
	if err != nil {
		return time.Time{}, line, false
	}
	return at, rest, true
}
