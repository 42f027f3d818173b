package data

import (
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// NPZ is an open .npz archive (numpy.savez / numpy.savez_compressed): a zip file of .npy members, stored or
// deflated. Members are read on demand, so an archive far larger than memory can be opened and only the members
// needed read; [NPZ.Stream] reads a member's data without holding it.
//
// The standard library's archive/zip does the zip work (zip64 included). The third-party npyio package reads
// .npz too, but only whole members into memory, which is what the dSprites loader must avoid (its image member
// inflates to 3 GB), so the package keeps its own reader.
type NPZ struct {
	name    string // for error messages
	size    int64  // archive size, bounding how much a member can inflate to
	r       io.ReaderAt
	members map[string]*zip.File // by name without ".npy"
	order   []string
	closer  io.Closer
}

// maxInflateRatio bounds how many bytes deflate can produce per compressed byte (its format allows about 1032),
// so that a member's declared size is trusted for allocation only as far as its compressed size allows.
const maxInflateRatio = 1032

// OpenNPZ opens the .npz archive at path. Close it when done.
func OpenNPZ(path string) (*NPZ, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npz: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("npz: %w", err)
	}
	z, err := NewNPZ(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	z.closer = f
	return z, nil
}

// NewNPZ reads the directory of a .npz archive of size bytes from r; name labels errors (a path, say).
func NewNPZ(r io.ReaderAt, size int64, name string) (*NPZ, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // member names are only looked up, never used as paths
		return nil, fmt.Errorf("npz: %s is not a zip archive (.npz files are written by numpy.savez): %w", name, err)
	}
	z := &NPZ{name: name, size: size, r: r, members: map[string]*zip.File{}}
	for _, f := range zr.File {
		k := strings.TrimSuffix(f.Name, ".npy")
		if _, dup := z.members[k]; dup {
			return nil, fmt.Errorf("npz: %s has two members named %q", name, k)
		}
		z.members[k] = f
		z.order = append(z.order, k)
	}
	return z, nil
}

// Close closes the file opened by [OpenNPZ] (a no-op for [NewNPZ]).
func (z *NPZ) Close() error {
	if z.closer == nil {
		return nil
	}
	c := z.closer
	z.closer = nil
	return c.Close()
}

// Names lists the members (without the .npy suffix) in archive order.
func (z *NPZ) Names() []string { return slices.Clone(z.order) }

// Has reports whether the archive has a member of that name (without .npy).
func (z *NPZ) Has(name string) bool { _, ok := z.members[name]; return ok }

// First returns the first of the given member names that the archive has, or "" when none.
func (z *NPZ) First(names ...string) string {
	for _, n := range names {
		if z.Has(n) {
			return n
		}
	}
	return ""
}

func (z *NPZ) member(name string) (*zip.File, error) {
	f, ok := z.members[name]
	if !ok {
		return nil, fmt.Errorf("npz: %s has no member %q (it has %s)", z.name, name, strings.Join(z.order, ", "))
	}
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return nil, fmt.Errorf("npz: %s member %q uses zip method %d (numpy writes stored or deflated members)",
			z.name, name, f.Method)
	}
	return f, nil
}

// inflateCap bounds the bytes a member can really hold: its compressed size (itself bounded by the archive)
// times the deflate ratio.
func (z *NPZ) inflateCap(f *zip.File) int64 {
	c := int64(min(f.CompressedSize64, uint64(z.size)))
	if f.Method == zip.Store {
		return c
	}
	return c*maxInflateRatio + 1024
}

// Header reads a member's .npy header without its data.
func (z *NPZ) Header(name string) (NPYHeader, error) {
	h, rc, err := z.Stream(name)
	if err != nil {
		return NPYHeader{}, err
	}
	rc.Close()
	return h, nil
}

// Stream opens a member and reads its .npy header; the reader returned yields exactly the data bytes
// (h.Bytes() of them, little-endian, C order). Close it when done.
func (z *NPZ) Stream(name string) (NPYHeader, io.ReadCloser, error) {
	f, err := z.member(name)
	if err != nil {
		return NPYHeader{}, nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return NPYHeader{}, nil, fmt.Errorf("npz: %s member %q: %w", z.name, name, err)
	}
	br := bufio.NewReaderSize(rc, 1<<16)
	h, _, err := ReadNPYHeader(br)
	if err != nil {
		rc.Close()
		return NPYHeader{}, nil, fmt.Errorf("npz: %s member %q: %w", z.name, name, err)
	}
	if h.Bytes() > z.inflateCap(f) {
		rc.Close()
		return NPYHeader{}, nil, fmt.Errorf("npz: %s member %q: shape %v of %s needs %d bytes, more than its %d "+
			"compressed bytes can hold (truncated file?)", z.name, name, h.Shape, h.Descr, h.Bytes(), f.CompressedSize64)
	}
	return h, &memberReader{r: io.LimitReader(br, h.Bytes()), c: rc}, nil
}

type memberReader struct {
	r io.Reader
	c io.Closer
}

func (m *memberReader) Read(p []byte) (int, error) { return m.r.Read(p) }
func (m *memberReader) Close() error               { return m.c.Close() }

// Read reads a whole member into memory.
func (z *NPZ) Read(name string) (*Array, error) {
	h, rc, err := z.Stream(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	a, err := readNPYData(rc, h, z.inflateCap(z.members[name]))
	if err != nil {
		return nil, fmt.Errorf("npz: %s member %q: %w", z.name, name, err)
	}
	return a, nil
}

// storedData returns, for a stored (uncompressed) member, the archive offset of its first data byte, so that
// its elements can be read in place with ReadAt; ok is false for a deflated member.
func (z *NPZ) storedData(name string) (h NPYHeader, off int64, ok bool, err error) {
	f, err := z.member(name)
	if err != nil || f.Method != zip.Store {
		return NPYHeader{}, 0, false, err
	}
	start, err := f.DataOffset()
	if err != nil {
		return NPYHeader{}, 0, false, fmt.Errorf("npz: %s member %q: %w", z.name, name, err)
	}
	n := int64(min(f.CompressedSize64, uint64(z.size)))
	h, used, err := ReadNPYHeader(bufio.NewReader(io.NewSectionReader(z.r, start, n)))
	if err != nil {
		return NPYHeader{}, 0, false, fmt.Errorf("npz: %s member %q: %w", z.name, name, err)
	}
	if end := start + int64(used) + h.Bytes(); int64(used)+h.Bytes() > n || end > z.size || end < start {
		return NPYHeader{}, 0, false, fmt.Errorf("npz: %s member %q: truncated: shape %v of %s needs %d data bytes, "+
			"the member has %d", z.name, name, h.Shape, h.Descr, h.Bytes(), n-int64(used))
	}
	return h, start + int64(used), true, nil
}

// NPZMember is one array to write with [WriteNPZ].
type NPZMember struct {
	Name  string // without .npy
	Shape []int
	Data  any // as for WriteNPY
}

// WriteNPZ writes the members as a .npz archive, deflated when compress is set (numpy.savez_compressed) and
// stored otherwise (numpy.savez; stored members can be read lazily).
func WriteNPZ(w io.Writer, members []NPZMember, compress bool) error {
	zw := zip.NewWriter(w)
	method := zip.Store
	if compress {
		method = zip.Deflate
	}
	for _, m := range members {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: m.Name + ".npy", Method: method})
		if err != nil {
			return fmt.Errorf("npz: member %q: %w", m.Name, err)
		}
		if err := WriteNPY(fw, m.Shape, m.Data); err != nil {
			return fmt.Errorf("npz: member %q: %w", m.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("npz: %w", err)
	}
	return nil
}

// WriteNPZFile writes a .npz archive at path (see [WriteNPZ]).
func WriteNPZFile(path string, members []NPZMember, compress bool) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("npz: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("npz: closing %s: %w", path, cerr)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := WriteNPZ(bw, members, compress); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("npz: writing %s: %w", path, err)
	}
	return nil
}
