package eventstore

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

func batch(ts ...int64) []Event {
	out := make([]Event, len(ts))
	for i, t := range ts {
		out[i] = Event{Timestamp: t, Message: fmt.Sprintf("event at %d", t)}
	}
	return out
}

func collect(t *testing.T, s *Stream, dir Direction, from Key) []Key {
	t.Helper()
	var out []Key
	if err := s.Scan(dir, from, func(e *Event) bool { out = append(out, e.Key()); return true }); err != nil {
		t.Fatal(err)
	}
	return out
}

// sortedKeys is every key of the stream in order, as a brute-force answer.
func sortedKeys(all []Event) []Key {
	keys := make([]Key, len(all))
	for i, e := range all {
		keys[i] = e.Key()
	}
	slices.SortFunc(keys, Key.Compare)
	return keys
}

func TestScanMergesRunsInKeyOrder(t *testing.T) {
	s, err := Open(t.TempDir(), Options{SegmentBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	var all []Event
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		// Batches mostly move forward, sometimes jump back: several runs.
		base := int64(rng.IntN(1000))
		ev := batch(base, base+int64(rng.IntN(3)), base+5)
		if _, err := s.Append(ev, 1); err != nil {
			t.Fatal(err)
		}
		all = append(all, ev...)
	}
	want := sortedKeys(all)
	if got := collect(t, s, Forward, Key{}); !slices.Equal(got, want) {
		t.Fatalf("forward scan out of order or incomplete: %d events, want %d", len(got), len(want))
	}
	back := collect(t, s, Backward, Key{Timestamp: 1 << 62})
	slices.Reverse(back)
	if !slices.Equal(back, want) {
		t.Fatalf("backward scan differs from forward")
	}
	// From every point, both directions give exactly their side.
	for _, cut := range []Key{want[0], want[len(want)/3], want[len(want)-1], {Timestamp: 500}, {Timestamp: 500, Seq: 1 << 40}} {
		i, _ := slices.BinarySearchFunc(want, cut, Key.Compare)
		if got := collect(t, s, Forward, cut); !slices.Equal(got, want[i:]) {
			t.Errorf("forward from %v: %d events, want %d", cut, len(got), len(want)-i)
		}
		got := collect(t, s, Backward, cut)
		slices.Reverse(got)
		if !slices.Equal(got, want[:i]) {
			t.Errorf("backward from %v: %d events, want %d", cut, len(got), i)
		}
	}
	if n := len(s.Segments()); n < 10 {
		t.Errorf("%d segments: the size limit did not roll them", n)
	}
}

func TestReopenRebuildsTheIndexAndCutsATornTail(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var all []Event
	for i := range 50 {
		ev := batch(int64(i*10), int64(i*10+1))
		ev[0].Message = string(make([]byte, 3000)) // several index blocks
		if _, err := s.Append(ev, int64(1000+i)); err != nil {
			t.Fatal(err)
		}
		all = append(all, ev...)
	}
	before := s.Stats()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(batch(1), 1); err != ErrClosed {
		t.Fatalf("append after close: %v", err)
	}
	// A crash in the middle of a write leaves half a record.
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	f, err := os.OpenFile(segs[len(segs)-1], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write(appendRecord(nil, &Event{Timestamp: 9999, Seq: 9999, Message: "torn"})[:20])
	_ = f.Close()

	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if after := s2.Stats(); after != before {
		t.Fatalf("stats after reopening %+v, before %+v", after, before)
	}
	if got := collect(t, s2, Forward, Key{}); !slices.Equal(got, sortedKeys(all)) {
		t.Fatalf("reopened stream has %d events, want %d", len(got), len(all))
	}
	// Sequence numbers go on where they stopped.
	a, err := s2.Append(batch(600), 2000)
	if err != nil || a.FirstSeq != before.NextSeq {
		t.Fatalf("append after reopening: %+v %v, want seq %d", a, err, before.NextSeq)
	}
	if got := s2.Stats().LastIngestion; got != 2000 {
		t.Fatalf("last ingestion %d", got)
	}
}

func TestIngestionNeverGoesBack(t *testing.T) {
	s, _ := Open(t.TempDir(), Options{})
	if _, err := s.Append(batch(1), 500); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(batch(2), 100); err != nil { // the clock stepped back
		t.Fatal(err)
	}
	var ing []int64
	_ = s.Scan(Forward, Key{}, func(e *Event) bool { ing = append(ing, e.Ingestion); return true })
	if !slices.Equal(ing, []int64{500, 500}) {
		t.Fatalf("ingestion times %v", ing)
	}
	if _, err := s.Append(batch(5, 3), 600); err == nil {
		t.Fatal("a batch out of order was taken")
	}
}

func TestDropRemovesSegments(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, Options{SegmentBytes: 50}) // a segment per batch
	for i := range 10 {
		if _, err := s.Append(batch(int64(i*100), int64(i*100+50)), 1); err != nil {
			t.Fatal(err)
		}
	}
	total := s.Stats().Bytes
	freed, err := s.Drop(func(si SegmentInfo) bool { return si.Last.Timestamp < 500 })
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Stats(); got.Bytes != total-freed || got.FirstTimestamp != 500 || got.Events != 10 {
		t.Fatalf("after dropping: %+v (freed %d of %d)", got, freed, total)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(files) != len(s.Segments()) {
		t.Fatalf("%d files for %d segments", len(files), len(s.Segments()))
	}
	if err := s.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("directory left: %v", err)
	}
}

// TestConcurrentWritersAndReaders: readers see whole events in order
// while writers append and segments are dropped under them (go test -race).
func TestConcurrentWritersAndReaders(t *testing.T) {
	s, _ := Open(t.TempDir(), Options{SegmentBytes: 2000})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				if _, err := s.Append(batch(int64(w*1000+i), int64(w*1000+i)), int64(i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var prev *Key
				err := s.Scan(Forward, Key{}, func(e *Event) bool {
					k := e.Key()
					if prev != nil && !prev.Less(k) {
						t.Errorf("scan out of order: %v then %v", *prev, k)
					}
					prev = &k
					return true
				})
				if err != nil {
					t.Error(err)
				}
				_, _ = s.Drop(func(si SegmentInfo) bool { return si.Last.Timestamp < 50 })
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	if st := s.Stats(); st.NextSeq != 801 {
		t.Fatalf("next seq %d after 800 events", st.NextSeq)
	}
}
