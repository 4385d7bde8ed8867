package cwlogs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/keksdev/keks/internal/cwlogs/eventstore"
	"github.com/keksdev/keks/internal/store"
)

// Defaults of the Service's bounds.
const (
	DefaultGroupByteCap  = 256 << 20
	DefaultSweepInterval = 5 * time.Minute
)

// Service is the CloudWatch Logs model: groups and streams in the store,
// their events on disk under Dir.
type Service struct {
	Store *store.Store
	// Dir holds the events: <data dir>/cloudwatch.
	Dir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// GroupByteCap bounds the bytes a log group keeps on disk; past it
	// the oldest segments go first. 0 means DefaultGroupByteCap.
	GroupByteCap int64
	// SweepInterval is how often Run applies retention and caps when
	// nothing asks sooner. 0 means DefaultSweepInterval.
	SweepInterval time.Duration
	// SegmentBytes is the size of a stream's segment files, the unit in
	// which retention and the cap free space; 0 means 8 MiB or an eighth
	// of the cap, whichever is smaller.
	SegmentBytes int64
	Log          *slog.Logger

	mu sync.Mutex
	// files are the groups' event files, by group id.
	files map[string]*groupFiles
	// deleted holds the ids of groups and streams deleted since Open: a
	// write that raced the deletion must not bring their files back.
	deleted map[string]bool
	// kick asks Run for a sweep now: a group went over its cap.
	kick chan struct{}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) nowMillis() int64 { return s.now().UnixMilli() }

func (s *Service) groupCap() int64 {
	if s.GroupByteCap > 0 {
		return s.GroupByteCap
	}
	return DefaultGroupByteCap
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Service) streamOptions() eventstore.Options {
	seg := s.SegmentBytes
	if seg <= 0 {
		seg = min(eventstore.DefaultSegmentBytes, max(s.groupCap()/8, 64<<10))
	}
	return eventstore.Options{SegmentBytes: seg, Log: s.log()}
}

// Open readies the service: it reads which groups and streams exist,
// opens their files (rebuilding each stream's index from disk), and
// removes what a crash left behind: files of groups or streams no longer
// in the store, and stream records of deleted groups.
func (s *Service) Open(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files, s.deleted, s.kick = map[string]*groupFiles{}, map[string]bool{}, make(chan struct{}, 1)
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("make the log events directory: %w", err)
	}
	groups, err := store.List[groupRecord](ctx, s.Store, groupPrefix)
	if err != nil {
		return fmt.Errorf("list log groups: %w", err)
	}
	known := map[string]map[string]bool{} // group id -> stream ids
	for _, g := range groups {
		known[g.ID] = map[string]bool{}
	}
	raws, err := s.Store.ListRaw(ctx, streamPrefix)
	if err != nil {
		return fmt.Errorf("list log streams: %w", err)
	}
	orphans := map[string]bool{}
	for _, r := range raws {
		var st streamRecord
		if err := json.Unmarshal(r.Value, &st); err != nil {
			return fmt.Errorf("read log stream %s: %w", r.Key, err)
		}
		if streams, ok := known[st.GroupID]; ok {
			streams[st.ID] = true
		} else {
			orphans[st.GroupID] = true
		}
	}
	for id := range orphans {
		// Their group's deletion stopped half way: finish it.
		if err := s.Store.DeletePrefix(ctx, streamsKey(id)); err != nil {
			return fmt.Errorf("remove the streams of a deleted log group: %w", err)
		}
	}
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return fmt.Errorf("read the log events directory: %w", err)
	}
	for _, ent := range entries {
		streams, ok := known[ent.Name()]
		if !ok || !ent.IsDir() {
			s.removeAll(filepath.Join(s.Dir, ent.Name()))
			continue
		}
		if err := s.openGroupFiles(ent.Name(), streams); err != nil {
			return err
		}
	}
	return nil
}

// openGroupFiles opens the streams of a group found on disk.
func (s *Service) openGroupFiles(groupID string, streams map[string]bool) error {
	g := s.filesOf(groupID)
	entries, err := os.ReadDir(g.dir)
	if err != nil {
		return fmt.Errorf("read log group directory %s: %w", g.dir, err)
	}
	for _, ent := range entries {
		dir := filepath.Join(g.dir, ent.Name())
		if !streams[ent.Name()] || !ent.IsDir() {
			s.removeAll(dir)
			continue
		}
		st, err := eventstore.Open(dir, s.streamOptions())
		if err != nil {
			return fmt.Errorf("open log stream files: %w", err)
		}
		g.streams[ent.Name()] = st
		g.bytes.Add(st.Stats().Bytes)
	}
	return nil
}

func (s *Service) removeAll(path string) {
	if err := os.RemoveAll(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log().Warn("remove leftover log files", "path", path, "err", err)
	}
}
