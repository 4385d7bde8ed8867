package ebs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSparseStreamRoundTrip sends a file with holes, zero blocks and data
// at its very end, and receives the same bytes, still sparse.
func TestSparseStreamRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.img")
	const size = 64 << 20
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	writes := map[int64][]byte{
		0:             []byte("boot"),
		5 << 20:       bytes.Repeat([]byte{0xab}, 3*copyBlock+17),
		20 << 20:      make([]byte, copyBlock), // zeros written: sent as a hole
		size - 3:      []byte("end"),
		copyBlock - 2: []byte("straddles"),
	}
	for off, b := range writes {
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()

	var stream bytes.Buffer
	if err := SendSparse(&stream, src, size); err != nil {
		t.Fatal(err)
	}
	if stream.Len() > 1<<20 {
		t.Errorf("the stream of a mostly empty %d-byte file is %d bytes: holes were sent", size, stream.Len())
	}
	dst := filepath.Join(dir, "dst.img")
	got, err := ReceiveSparse(bytes.NewReader(stream.Bytes()), dst, func(n int64) error { return nil })
	if err != nil || got != size {
		t.Fatalf("ReceiveSparse = %d, %v; want %d", got, err, size)
	}
	a, _ := os.ReadFile(src)
	b, _ := os.ReadFile(dst)
	if !bytes.Equal(a, b) {
		t.Fatal("the received file differs from the sent one")
	}
	if used := allocated(t, dst); used > 2<<20 {
		t.Errorf("the received file takes %d bytes on disk: not sparse", used)
	}
	if _, err := os.Stat(dst + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file stayed: %v", err)
	}
}

func allocated(t *testing.T, path string) int64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}

// TestSparseStreamRefusals: a stream cut short, one that goes past its
// size or back, and a size the receiver does not accept leave no file.
func TestSparseStreamRefusals(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.img")
	if err := os.WriteFile(src, bytes.Repeat([]byte{1}, 3*copyBlock), 0o600); err != nil {
		t.Fatal(err)
	}
	var good bytes.Buffer
	if err := SendSparse(&good, src, 3*copyBlock); err != nil {
		t.Fatal(err)
	}
	frame := func(off uint64, n uint32) []byte {
		b := make([]byte, 12)
		for i := range 8 {
			b[i] = byte(off >> (56 - 8*i))
		}
		for i := range 4 {
			b[8+i] = byte(n >> (24 - 8*i))
		}
		return b
	}
	head := good.Bytes()[:16]
	tooSmall := errors.New("too large for this volume")
	tests := []struct {
		name   string
		stream []byte
		accept error
		bad    bool
	}{
		{"cut short", good.Bytes()[:good.Len()-5], nil, true},
		{"no header", []byte("hello"), nil, true},
		{"past its size", append(append(append([]byte{}, head...), frame(3*copyBlock-1, 2)...), 0, 0), nil, true},
		{"a frame too long", append(append([]byte{}, head...), frame(0, copyBlock+1)...), nil, true},
		{"ends early", append(append([]byte{}, head...), frame(5, 0)...), nil, true},
		{"size refused", good.Bytes(), tooSmall, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(dir, "dst.img")
			_, err := ReceiveSparse(bytes.NewReader(tt.stream), dst, func(int64) error { return tt.accept })
			if err == nil {
				t.Fatal("accepted")
			}
			if ErrBadStream(err) != tt.bad {
				t.Errorf("ErrBadStream(%v) = %v, want %v", err, ErrBadStream(err), tt.bad)
			}
			if tt.accept != nil && !errors.Is(err, tt.accept) {
				t.Errorf("err = %v, want the acceptor's", err)
			}
			for _, p := range []string{dst, dst + ".tmp"} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Errorf("%s exists after a refused stream", p)
				}
			}
		})
	}
}
