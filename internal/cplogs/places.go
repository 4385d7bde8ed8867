package cplogs

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// loadPlaces reads where each file was shipped up to; none when keks has
// not shipped before.
func (s *Shipper) loadPlaces() map[string]place {
	places := map[string]place{}
	if data, err := os.ReadFile(s.StateFile); err == nil {
		if err := json.Unmarshal(data, &places); err != nil {
			s.Log.Warn("control-plane log places unreadable: shipping from now on", "file", s.StateFile, "err", err)
			places = map[string]place{}
		}
	}
	return places
}

// savePlaces writes the places whole, by rename, so a crash leaves the old
// ones or the new ones.
func (s *Shipper) savePlaces() {
	data, err := json.Marshal(s.places)
	if err != nil {
		return
	}
	if old, err := os.ReadFile(s.StateFile); err == nil && string(old) == string(data) {
		return
	}
	if err := os.MkdirAll(filepath.Dir(s.StateFile), 0o755); err != nil {
		s.Log.Warn("save control-plane log places", "err", err)
		return
	}
	tmp := s.StateFile + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		s.Log.Warn("save control-plane log places", "err", err)
		return
	}
	if err := os.Rename(tmp, s.StateFile); err != nil {
		s.Log.Warn("save control-plane log places", "err", err)
	}
}
