package data

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Array is an n-dimensional array read from or written to a .npy file. Data is one of []float32, []float64,
// []int64, []int32, []uint8 or []string (numpy's fixed-width unicode '<U'), in C (row-major) order.
type Array struct {
	Shape []int
	Data  any
}

// MaxNPYBytes bounds the data size a .npy header may declare (16 GiB).
const MaxNPYBytes = 1 << 34

const npyMagic = "\x93NUMPY"

// Len is the number of elements.
func (a *Array) Len() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// Float64s returns the data converted to float64 (a new slice).
func (a *Array) Float64s() []float64 {
	switch d := a.Data.(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		return convert[float64](d)
	case []int64:
		return convert[float64](d)
	case []int32:
		return convert[float64](d)
	case []uint8:
		return convert[float64](d)
	}
	return nil
}

// Float32s returns the data converted to float32 (a new slice).
func (a *Array) Float32s() []float32 {
	switch d := a.Data.(type) {
	case []float32:
		return append([]float32(nil), d...)
	case []float64:
		return convert[float32](d)
	case []int64:
		return convert[float32](d)
	case []int32:
		return convert[float32](d)
	case []uint8:
		return convert[float32](d)
	}
	return nil
}

// Ints returns the data as int (a new slice), e.g. factor classes. Floating-point data must hold whole numbers.
func (a *Array) Ints() ([]int, error) {
	switch d := a.Data.(type) {
	case []int64:
		return convert[int](d), nil
	case []int32:
		return convert[int](d), nil
	case []uint8:
		return convert[int](d), nil
	case []string:
		return nil, errors.New("npy: array holds strings, not numbers")
	}
	f := a.Float64s()
	out := make([]int, len(f))
	for i, v := range f {
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return nil, fmt.Errorf("npy: element %d is %v, not an integer", i, v)
		}
		out[i] = int(v)
	}
	return out, nil
}

func convert[T, S float32 | float64 | int64 | int32 | uint8 | int](s []S) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	return out
}

// npyDescr maps the supported fixed-size dtype descriptors to element sizes; '<U' strings are handled apart.
var npyDescr = map[string]int{"<f4": 4, "<f8": 8, "<i8": 8, "<i4": 4, "|u1": 1, "<u1": 1, "|b1": 1}

// maxNPYStringLen bounds the width of a '<U' string dtype (in characters).
const maxNPYStringLen = 1 << 16

// NPYHeader is what a .npy header declares: the dtype descriptor and the shape (C order).
type NPYHeader struct {
	Descr string
	Shape []int
}

// Len is the number of elements.
func (h NPYHeader) Len() int {
	n := 1
	for _, d := range h.Shape {
		n *= d
	}
	return n
}

// ElemSize is the size of one element in bytes (0 for an unsupported dtype).
func (h NPYHeader) ElemSize() int {
	if n, ok := npyDescr[h.Descr]; ok {
		return n
	}
	if w, ok := npyStringWidth(h.Descr); ok {
		return 4 * w
	}
	return 0
}

// Bytes is the size of the data in bytes.
func (h NPYHeader) Bytes() int64 { return int64(h.ElemSize()) * int64(h.Len()) }

// npyStringWidth parses a little-endian unicode descriptor '<Un' (n UTF-32 code units per element).
func npyStringWidth(descr string) (int, bool) {
	if !strings.HasPrefix(descr, "<U") || len(descr) > 8 {
		return 0, false
	}
	w, err := strconv.Atoi(descr[2:])
	if err != nil || w < 1 || w > maxNPYStringLen {
		return 0, false
	}
	return w, true
}

// ReadNPYHeader reads the magic, version and header of a .npy stream, leaving r at the first data byte. It
// returns the header and the number of bytes consumed. Unsupported dtypes, Fortran order and shapes declaring
// more than [MaxNPYBytes] are errors.
func ReadNPYHeader(r io.Reader) (NPYHeader, int, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return NPYHeader{}, 0, fmt.Errorf("npy: reading magic: %w", noEOF(err))
	}
	if string(pre[:6]) != npyMagic {
		return NPYHeader{}, 0, fmt.Errorf("npy: bad magic %q: not a .npy file", pre[:6])
	}
	var hlen, used int
	switch major := pre[6]; major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return NPYHeader{}, 0, fmt.Errorf("npy: reading header length: %w", noEOF(err))
		}
		hlen, used = int(binary.LittleEndian.Uint16(b[:])), 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return NPYHeader{}, 0, fmt.Errorf("npy: reading header length: %w", noEOF(err))
		}
		hlen, used = int(binary.LittleEndian.Uint32(b[:])), 12
	default:
		return NPYHeader{}, 0, fmt.Errorf("npy: unsupported format version %d.%d", major, pre[7])
	}
	if hlen > 1<<20 {
		return NPYHeader{}, 0, fmt.Errorf("npy: header length %d is absurd", hlen)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return NPYHeader{}, 0, fmt.Errorf("npy: reading %d-byte header: %w", hlen, noEOF(err))
	}
	descr, fortran, shape, err := parseNPYHeader(string(hdr))
	if err != nil {
		return NPYHeader{}, 0, fmt.Errorf("npy: header %q: %w", strings.TrimSpace(string(hdr)), err)
	}
	h := NPYHeader{Descr: descr, Shape: shape}
	size := h.ElemSize()
	if size == 0 {
		return NPYHeader{}, 0, fmt.Errorf("npy: unsupported dtype %q (want little-endian <f4, <f8, <i8, <i4, |u1, |b1 or <U)", descr)
	}
	if fortran {
		return NPYHeader{}, 0, errors.New("npy: Fortran-order arrays are not supported (save with C order)")
	}
	total := uint64(size)
	for _, d := range shape {
		if d < 0 {
			return NPYHeader{}, 0, fmt.Errorf("npy: negative dimension in shape %v", shape)
		}
		if d != 0 && total > MaxNPYBytes/uint64(d) {
			return NPYHeader{}, 0, fmt.Errorf("npy: shape %v declares more than %d bytes", shape, uint64(MaxNPYBytes))
		}
		total *= uint64(d)
	}
	return h, used + hlen, nil
}

// ReadNPY reads a .npy file (format versions 1, 2 and 3) holding a little-endian, C-order array of float32,
// float64, int64, int32, uint8, bool (read as uint8) or unicode strings (read as []string).
func ReadNPY(r io.Reader) (*Array, error) {
	br := bufio.NewReader(r)
	h, _, err := ReadNPYHeader(br)
	if err != nil {
		return nil, err
	}
	return readNPYData(br, h, -1)
}

// readNPYData reads the data of an array whose header h has been read. A non-negative capHint bounds the initial
// allocation (for data whose declared size cannot be trusted).
func readNPYData(r io.Reader, h NPYHeader, capHint int64) (*Array, error) {
	total := h.Bytes()
	var raw []byte
	var err error
	if capHint >= 0 {
		raw = make([]byte, 0, min(total, capHint))
		buf := bytes.NewBuffer(raw)
		_, err = buf.ReadFrom(io.LimitReader(r, total))
		raw = buf.Bytes()
	} else {
		raw, err = io.ReadAll(io.LimitReader(r, total))
	}
	if err != nil {
		return nil, fmt.Errorf("npy: reading data: %w", err)
	}
	if int64(len(raw)) < total {
		return nil, fmt.Errorf("npy: truncated: shape %v of %s needs %d data bytes, file has %d", h.Shape, h.Descr, total, len(raw))
	}
	return decodeNPY(h, raw), nil
}

// decodeNPY converts raw little-endian data (exactly h.Bytes() long) to an Array.
func decodeNPY(h NPYHeader, raw []byte) *Array {
	n := h.Len()
	a := &Array{Shape: h.Shape}
	le := binary.LittleEndian
	switch h.Descr {
	case "<f4":
		d := make([]float32, n)
		for i := range d {
			d[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
		a.Data = d
	case "<f8":
		d := make([]float64, n)
		for i := range d {
			d[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
		a.Data = d
	case "<i8":
		d := make([]int64, n)
		for i := range d {
			d[i] = int64(le.Uint64(raw[8*i:]))
		}
		a.Data = d
	case "<i4":
		d := make([]int32, n)
		for i := range d {
			d[i] = int32(le.Uint32(raw[4*i:]))
		}
		a.Data = d
	case "|u1", "<u1", "|b1":
		a.Data = raw
	default: // <Un
		w, _ := npyStringWidth(h.Descr)
		d := make([]string, n)
		var sb strings.Builder
		for i := range d {
			sb.Reset()
			for j := range w {
				c := le.Uint32(raw[4*(i*w+j):])
				if c == 0 {
					break
				}
				if c > unicode.MaxRune {
					c = unicode.ReplacementChar
				}
				sb.WriteRune(rune(c))
			}
			d[i] = sb.String()
		}
		a.Data = d
	}
	return a
}

// parseNPYHeader parses the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
func parseNPYHeader(h string) (descr string, fortran bool, shape []int, err error) {
	p := &pyParser{s: h}
	p.ws()
	if !p.eat('{') {
		return "", false, nil, errors.New("does not start with '{'")
	}
	seen := map[string]bool{}
	for {
		p.ws()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return "", false, nil, fmt.Errorf("key: %w", err)
		}
		p.ws()
		if !p.eat(':') {
			return "", false, nil, fmt.Errorf("missing ':' after key %q", key)
		}
		p.ws()
		switch key {
		case "descr":
			descr, err = p.str()
		case "fortran_order":
			fortran, err = p.boolean()
		case "shape":
			shape, err = p.tuple()
		default:
			err = fmt.Errorf("unexpected key %q", key)
		}
		if err != nil {
			return "", false, nil, fmt.Errorf("%s: %w", key, err)
		}
		seen[key] = true
		p.ws()
		if !p.eat(',') {
			p.ws()
			if !p.eat('}') {
				return "", false, nil, fmt.Errorf("expected ',' or '}' at offset %d", p.i)
			}
			break
		}
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return "", false, nil, fmt.Errorf("missing key %q", k)
		}
	}
	return descr, fortran, shape, nil
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) ws() {
	for p.i < len(p.s) && strings.IndexByte(" \t\n\r", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("expected a quoted string at offset %d", p.i)
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

func (p *pyParser) boolean() (bool, error) {
	switch {
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	}
	return false, fmt.Errorf("expected True or False at offset %d", p.i)
}

func (p *pyParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("expected '(' at offset %d", p.i)
	}
	shape := []int{}
	for {
		p.ws()
		if p.eat(')') {
			return shape, nil
		}
		j := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if j == p.i || p.i-j > 12 {
			return nil, fmt.Errorf("expected a dimension size at offset %d", j)
		}
		d, _ := strconv.Atoi(p.s[j:p.i])
		p.eat('L') // Python 2 long suffix
		shape = append(shape, d)
		p.ws()
		if !p.eat(',') {
			p.ws()
			if !p.eat(')') {
				return nil, fmt.Errorf("expected ',' or ')' at offset %d", p.i)
			}
			return shape, nil
		}
	}
}

// WriteNPY writes data (one of []float32, []float64, []int64, []int32, []uint8, []string) with the given shape as
// a .npy file (version 1 header, or 2 when the header needs it), little-endian, C order. Strings are written as
// '<Un' with n the longest string's length in characters (at least 1).
func WriteNPY(w io.Writer, shape []int, data any) error {
	var descr string
	var n int
	switch d := data.(type) {
	case []float32:
		descr, n = "<f4", len(d)
	case []float64:
		descr, n = "<f8", len(d)
	case []int64:
		descr, n = "<i8", len(d)
	case []int32:
		descr, n = "<i4", len(d)
	case []uint8:
		descr, n = "|u1", len(d)
	case []string:
		w := 1
		for _, v := range d {
			w = max(w, utf8.RuneCountInString(v))
		}
		if w > maxNPYStringLen {
			return fmt.Errorf("npy: string of %d characters is longer than %d", w, maxNPYStringLen)
		}
		descr, n = "<U"+strconv.Itoa(w), len(d)
		data = encodeUTF32(d, w)
	default:
		return fmt.Errorf("npy: unsupported data type %T", data)
	}
	want := 1
	dims := make([]string, len(shape))
	for i, s := range shape {
		if s < 0 {
			return fmt.Errorf("npy: negative dimension in shape %v", shape)
		}
		want *= s
		dims[i] = strconv.Itoa(s)
	}
	if want != n {
		return fmt.Errorf("npy: shape %v holds %d elements but data has %d", shape, want, n)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, tuple)
	// Pad with spaces and end with a newline so that the data starts on a 64-byte boundary.
	ver, lenBytes := byte(1), 2
	if len(dict)+64 > math.MaxUint16 { // header length must fit the v1 uint16 field
		ver, lenBytes = 2, 4
	}
	pre := len(npyMagic) + 2 + lenBytes
	pad := (64 - (pre+len(dict)+1)%64) % 64
	header := dict + strings.Repeat(" ", pad) + "\n"
	var buf bytes.Buffer
	buf.WriteString(npyMagic)
	buf.Write([]byte{ver, 0})
	if ver == 1 {
		buf.Write(binary.LittleEndian.AppendUint16(nil, uint16(len(header))))
	} else {
		buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(header))))
	}
	buf.WriteString(header)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("npy: writing header: %w", err)
	}
	bw := bufio.NewWriter(w)
	if err := binary.Write(bw, binary.LittleEndian, data); err != nil {
		return fmt.Errorf("npy: writing data: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("npy: writing data: %w", err)
	}
	return nil
}

// encodeUTF32 lays strings out as numpy's '<Uw': w little-endian UTF-32 code units each, NUL-padded.
func encodeUTF32(s []string, w int) []uint32 {
	out := make([]uint32, len(s)*w)
	for i, v := range s {
		j := 0
		for _, r := range v {
			out[i*w+j] = uint32(r)
			j++
		}
	}
	return out
}

// ReadNPYFile reads the .npy file at path.
func ReadNPYFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	a, err := ReadNPY(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// WriteNPYFile writes a .npy file at path (see [WriteNPY]).
func WriteNPYFile(path string, shape []int, data any) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("npy: closing %s: %w", path, cerr)
		}
	}()
	if err := WriteNPY(f, shape, data); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
