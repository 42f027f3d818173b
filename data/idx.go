package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDXType is the element type code of an IDX file (the third byte of its magic number).
type IDXType byte

// IDX element types.
const (
	IDXUint8   IDXType = 0x08
	IDXInt8    IDXType = 0x09
	IDXInt16   IDXType = 0x0B
	IDXInt32   IDXType = 0x0C
	IDXFloat32 IDXType = 0x0D
	IDXFloat64 IDXType = 0x0E
)

// Size is the element size in bytes, 0 for an unknown type.
func (t IDXType) Size() int {
	switch t {
	case IDXUint8, IDXInt8:
		return 1
	case IDXInt16:
		return 2
	case IDXInt32, IDXFloat32:
		return 4
	case IDXFloat64:
		return 8
	}
	return 0
}

// MaxIDXBytes bounds the data size an IDX header may declare (4 GiB, well above MNIST's 47 MB), so that a corrupt
// header is rejected rather than trusted.
const MaxIDXBytes = 1 << 32

// IDX is the content of an IDX file: element type, dimensions and raw data (big-endian for multi-byte types).
type IDX struct {
	Type IDXType
	Dims []int
	Data []byte
}

// ReadIDX reads one IDX file (LeCun's format for MNIST: two zero bytes, type, number of dimensions, big-endian
// uint32 sizes, then the data). The stream is gunzipped first when it starts with the gzip magic. It rejects
// unknown types, sizes over [MaxIDXBytes], truncated data and trailing bytes. Memory grows with the data actually
// read, never with what the header claims.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("idx: gzip: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	var magic [4]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, fmt.Errorf("idx: reading magic number: %w", noEOF(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("idx: bad magic number % x: not an IDX file (want 00 00 <type> <ndims>)", magic)
	}
	t := IDXType(magic[2])
	if t.Size() == 0 {
		return nil, fmt.Errorf("idx: unknown element type 0x%02x", magic[2])
	}
	nd := int(magic[3])
	if nd == 0 {
		return nil, errors.New("idx: zero dimensions")
	}
	raw := make([]byte, 4*nd)
	if _, err := io.ReadFull(br, raw); err != nil {
		return nil, fmt.Errorf("idx: reading %d dimension sizes: %w", nd, noEOF(err))
	}
	dims := make([]int, nd)
	total := uint64(t.Size())
	for i := range dims {
		d := binary.BigEndian.Uint32(raw[4*i:])
		dims[i] = int(d)
		if d != 0 && total > MaxIDXBytes/uint64(d) {
			return nil, fmt.Errorf("idx: dimensions %v declare more than %d bytes", dimsPrefix(raw, nd), uint64(MaxIDXBytes))
		}
		total *= uint64(d)
	}
	data, err := io.ReadAll(io.LimitReader(br, int64(total)))
	if err != nil {
		return nil, fmt.Errorf("idx: reading data: %w", err)
	}
	if uint64(len(data)) < total {
		return nil, fmt.Errorf("idx: truncated: dimensions %v need %d data bytes, file has %d", dims, total, len(data))
	}
	// Read to the end, so that trailing bytes and gzip checksum errors are seen.
	var one [1]byte
	switch n, err := io.ReadFull(br, one[:]); {
	case n > 0:
		return nil, fmt.Errorf("idx: trailing data after the %d bytes that dimensions %v declare", total, dims)
	case err != nil && err != io.EOF:
		return nil, fmt.Errorf("idx: after data: %w", err)
	}
	return &IDX{Type: t, Dims: dims, Data: data}, nil
}

func dimsPrefix(raw []byte, nd int) []uint32 {
	out := make([]uint32, nd)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(raw[4*i:])
	}
	return out
}

// noEOF turns a bare EOF into ErrUnexpectedEOF: a file that ends inside a header is truncated.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
