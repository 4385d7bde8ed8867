package images

import (
	"archive/tar"
	"bytes"
	"io"
	"path"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// layer is the filesystem of a one-layer image, built in memory: path in
// the image (no leading slash) -> entry.
type layer struct {
	entries map[string]entry
}

// entry is one file, directory or link. Owners are numeric, as in the
// upstream images' tarballs.
type entry struct {
	kind     byte // tar.TypeReg, TypeDir, TypeSymlink or TypeLink
	mode     int64
	uid, gid int
	data     []byte
	target   string // of a symlink, or the path a hard link shares
}

func newLayer() *layer {
	return &layer{entries: map[string]entry{}}
}

// clone is a copy to add to, leaving l as it is.
func (l *layer) clone() *layer {
	c := newLayer()
	for name, e := range l.entries {
		c.entries[name] = e
	}
	return c
}

func (l *layer) file(name string, data []byte, mode int64) {
	l.entries[name] = entry{kind: tar.TypeReg, mode: mode, data: data}
}

func (l *layer) dir(name string, mode int64, uid, gid int) {
	l.entries[name] = entry{kind: tar.TypeDir, mode: mode, uid: uid, gid: gid}
}

func (l *layer) symlink(name, target string) {
	l.entries[name] = entry{kind: tar.TypeSymlink, mode: 0o777, target: target}
}

// hardlink makes name another name of the file at target.
func (l *layer) hardlink(name, target string) {
	l.entries[name] = entry{kind: tar.TypeLink, mode: l.entries[target].mode, target: target}
}

// build writes the layer's tarball with every entry dated modTime, so an
// image built twice from the same files has the same digest. Directories
// come first and links last, so that what a link names is always there
// when it is unpacked; a directory not declared is root's, 0755.
func (l *layer) build(modTime time.Time, opts ...tarball.LayerOption) (v1.Layer, error) {
	all := map[string]entry{}
	for name, e := range l.entries {
		all[name] = e
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if _, ok := l.entries[d]; !ok {
				all[d] = entry{kind: tar.TypeDir, mode: 0o755}
			}
		}
	}
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	order := func(e entry) int {
		switch e.kind {
		case tar.TypeDir:
			return 0
		case tar.TypeReg:
			return 1
		}
		return 2
	}
	sort.Slice(names, func(i, j int) bool {
		oi, oj := order(all[names[i]]), order(all[names[j]])
		if oi != oj {
			return oi < oj
		}
		return names[i] < names[j]
	})

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range names {
		e := all[name]
		h := &tar.Header{Name: name, Typeflag: e.kind, Mode: e.mode, Uid: e.uid, Gid: e.gid, Linkname: e.target, ModTime: modTime}
		switch e.kind {
		case tar.TypeDir:
			h.Name += "/"
		case tar.TypeReg:
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, opts...)
}
