package cwlogs

import (
	"errors"
	"path/filepath"
	"sync/atomic"

	"github.com/keksdev/keks/internal/cwlogs/eventstore"
)

// groupFiles are a log group's streams on disk: <Dir>/<group id>/<stream id>.
type groupFiles struct {
	dir string
	// bytes is what the group's streams take, kept up to date by appends
	// and drops so that the cap is checked without walking the streams.
	bytes atomic.Int64
	// streams are opened on first use; guarded by Service.mu.
	streams map[string]*eventstore.Stream
}

// errNotOpen is a Service used before Open.
var errNotOpen = errors.New("cwlogs: the service is not open")

// filesOf is a group's files, made on first use; s.mu is held.
func (s *Service) filesOf(groupID string) *groupFiles {
	g := s.files[groupID]
	if g == nil {
		g = &groupFiles{dir: filepath.Join(s.Dir, groupID), streams: map[string]*eventstore.Stream{}}
		s.files[groupID] = g
	}
	return g
}

// writableStream is the stream's files for appending, opened on first use.
// A group or stream deleted since its records were read is not there.
func (s *Service) writableStream(groupID, streamID string) (*eventstore.Stream, *groupFiles, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files == nil {
		return nil, nil, errNotOpen
	}
	if s.deleted[groupID] {
		return nil, nil, errNoGroup
	}
	if s.deleted[streamID] {
		return nil, nil, errNoStream
	}
	g := s.filesOf(groupID)
	st := g.streams[streamID]
	if st == nil {
		var err error
		if st, err = eventstore.Open(filepath.Join(g.dir, streamID), s.streamOptions()); err != nil {
			return nil, nil, err
		}
		g.streams[streamID] = st
	}
	return st, g, nil
}

// readableStream is the stream's files if it has any; nil for a stream
// that never had events.
func (s *Service) readableStream(groupID, streamID string) *eventstore.Stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.files[groupID]; g != nil {
		return g.streams[streamID]
	}
	return nil
}

// storedBytes is what a group keeps on disk.
func (s *Service) storedBytes(groupID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.files[groupID]; g != nil {
		return g.bytes.Load()
	}
	return 0
}

// forgetGroup removes a deleted group's files.
func (s *Service) forgetGroup(groupID string) {
	s.mu.Lock()
	if s.files == nil {
		s.mu.Unlock()
		return
	}
	g := s.files[groupID]
	delete(s.files, groupID)
	s.deleted[groupID] = true
	s.mu.Unlock()
	if g != nil {
		for _, st := range g.streams {
			if err := st.Destroy(); err != nil {
				s.log().Warn("remove a deleted log stream's files", "err", err)
			}
		}
	}
	s.removeAll(filepath.Join(s.Dir, groupID))
}

// forgetStream removes a deleted stream's files.
func (s *Service) forgetStream(groupID, streamID string) {
	s.mu.Lock()
	if s.files == nil {
		s.mu.Unlock()
		return
	}
	g := s.files[groupID]
	var st *eventstore.Stream
	if g != nil {
		st = g.streams[streamID]
		delete(g.streams, streamID)
	}
	s.deleted[streamID] = true
	s.mu.Unlock()
	if st == nil {
		return
	}
	// Closed first, so that no append lands between counting and removing.
	_ = st.Close()
	freed := st.Stats().Bytes
	if err := st.Destroy(); err != nil {
		s.log().Warn("remove a deleted log stream's files", "err", err)
	}
	g.bytes.Add(-freed)
}

// overCap asks for a sweep when a group went past its cap.
func (s *Service) overCap(g *groupFiles) {
	if g.bytes.Load() <= s.groupCap() {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default: // a sweep is asked for already
	}
}
