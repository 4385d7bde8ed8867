package cplogs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/keksdev/keks/internal/cwlogs"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/loop"
)

// Shipper ships the logs of enabled types to CloudWatch Logs.
type Shipper struct {
	*loop.Loop
	// Clusters lists every cluster.
	Clusters func(ctx context.Context) ([]eks.Cluster, error)
	Logs     Sink
	// LogDir is where a cluster's control plane writes its log files
	// (controlplane.Controller.LogDir).
	LogDir func(ctx context.Context, clusterUID string) (string, error)
	// StateFile keeps where each file was read up to.
	StateFile string
	Log       *slog.Logger

	places map[string]place // file -> where it was read up to
	// typesOn are the types ("<cluster uid>/<type>") an earlier pass found
	// enabled: a file of theirs that appears later holds only lines
	// written since, and ships from its start.
	typesOn map[string]bool
	writer  *cwlogs.StreamWriter
}

// Sink is where events go: keks's CloudWatch Logs.
type Sink = cwlogs.Sink

// place is how far a file was shipped: the file (by inode, so a rotated
// file is read anew) and the offset of the first line not shipped.
type place struct {
	Inode  uint64 `json:"inode"`
	Offset int64  `json:"offset"`
}

// New makes a shipper.
func New(clusters func(context.Context) ([]eks.Cluster, error), logs Sink, logDir func(ctx context.Context, clusterUID string) (string, error), stateFile string, log *slog.Logger) *Shipper {
	return &Shipper{Loop: loop.New(), Clusters: clusters, Logs: logs, LogDir: logDir, StateFile: stateFile, Log: log,
		writer: &cwlogs.StreamWriter{Sink: logs}}
}

// shipEvery paces passes while some cluster ships logs; idleWait when none
// does (a cluster's change wakes the shipper).
const (
	shipEvery = time.Second
	idleWait  = 10 * time.Minute
)

// Run ships until ctx ends.
func (s *Shipper) Run(ctx context.Context) error {
	s.places = s.loadPlaces()
	return s.Loop.RunPaced(ctx, func(ctx context.Context) time.Duration {
		if s.pass(ctx) {
			return shipEvery
		}
		return idleWait
	})
}

// pass ships what every enabled type wrote since the last pass and
// reports whether any type is enabled.
func (s *Shipper) pass(ctx context.Context) bool {
	clusters, err := s.Clusters(ctx)
	if err != nil {
		s.Log.Warn("list clusters", "err", err)
		return true
	}
	seen := map[string]bool{}
	active, unknown := false, false
	typesOn := map[string]bool{}
	if s.typesOn == nil {
		s.typesOn = map[string]bool{}
	}
	for _, cl := range clusters {
		if cl.DeletionRequested || (cl.Status.Phase != eks.StatusActive && cl.Status.Phase != eks.StatusUpdating) {
			continue
		}
		if !anyEnabled(cl.Spec.Logging) {
			continue
		}
		dir, err := s.LogDir(ctx, cl.UID)
		if err != nil {
			// Its places are kept: a pass that cannot look must not skip lines.
			s.Log.Warn("find control-plane logs", "cluster", cl.Name, "err", err)
			active, unknown = true, true
			for key := range s.typesOn {
				if strings.HasPrefix(key, cl.UID+"/") {
					typesOn[key] = true
				}
			}
			continue
		}
		if dir == "" {
			continue // a runtime whose logs are not files here: nothing to ship
		}
		group := "/aws/eks/" + cl.Name + "/cluster"
		srcs := sources(cl.UID, dir, cl.Spec.Logging)
		for _, src := range srcs {
			if _, ok := s.places[src.path]; ok {
				s.typesOn[cl.UID+"/"+src.typ] = true // shipped before a restart
			}
		}
		for _, src := range srcs {
			active = true
			seen[src.path] = true
			if err := s.ship(ctx, &cl, group, src, s.typesOn[cl.UID+"/"+src.typ]); err != nil && ctx.Err() == nil {
				s.Log.Warn("ship control-plane logs", "cluster", cl.Name, "stream", src.stream, "err", err)
			}
		}
		for typ, on := range cl.Spec.Logging {
			if on {
				typesOn[cl.UID+"/"+typ] = true
			}
		}
	}
	s.typesOn = typesOn
	changed := false
	for path := range s.places {
		if unknown {
			break // a cluster whose logs could not be found keeps its places
		}
		// A type disabled (or a cluster gone) forgets its places: enabled
		// again, it ships from then on, not what was written meanwhile.
		if !seen[path] {
			delete(s.places, path)
			changed = true
		}
	}
	if active || changed {
		s.savePlaces()
	}
	return active
}

// ship sends the complete lines src's file gained since its place. A file
// without one is shipped from its start when its type was on before it
// appeared (a new instance's file, or the kubernetes runtime's mirror,
// which writes only while its type is on), else from its end: a type just
// turned on ships what is written from then on.
func (s *Shipper) ship(ctx context.Context, cl *eks.Cluster, group string, src source, typeWasOn bool) error {
	f, err := os.Open(src.path)
	if err != nil {
		return nil // not written yet
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	inode := st.Sys().(*syscall.Stat_t).Ino
	p, ok := s.places[src.path]
	switch {
	case !ok && typeWasOn:
		p = place{Inode: inode}
	case !ok:
		s.places[src.path] = place{Inode: inode, Offset: st.Size()}
		return nil
	case p.Inode != inode || st.Size() < p.Offset:
		p = place{Inode: inode} // rotated: the file is a new one
	}
	if st.Size() == p.Offset {
		s.places[src.path] = p
		return nil
	}
	buf := make([]byte, min(st.Size()-p.Offset, maxRead))
	n, err := f.ReadAt(buf, p.Offset)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read %s: %w", src.path, err)
	}
	lines, used := completeLines(buf[:n])
	if len(lines) > 0 {
		now := time.Now()
		events := make([]cwlogs.Event, len(lines))
		for i, l := range lines {
			events[i] = cwlogs.Event{Timestamp: timestampOf(src.typ, l, now), Message: string(l)}
		}
		if err := s.append(ctx, cl, group, src.stream, events); err != nil {
			return err
		}
	}
	p.Offset += int64(used)
	s.places[src.path] = p
	return nil
}

// append writes events to the stream (cwlogs.StreamWriter: the group and
// stream made when missing, dropped events not an error).
func (s *Shipper) append(ctx context.Context, cl *eks.Cluster, group, stream string, events []cwlogs.Event) error {
	return s.writer.Write(ctx, cl.Account, cl.Region, group, stream, events)
}
