package pytorch

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/pkg/errors"
)

// Tensor is one entry of a state dict: its stored dtype, its PyTorch shape (row-major, as in the file) and its
// values converted to float32.
type Tensor struct {
	DType string // as stored: "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8" or "BOOL"
	Shape []int
	Data  []float32
}

// Len is the number of elements the shape holds.
func (t *Tensor) Len() int { return numel(t.Shape) }

// StateDict maps PyTorch parameter and buffer names (e.g. "main.0.weight", "main.1.running_mean") to tensors.
type StateDict map[string]*Tensor

// Names returns the tensor names, sorted.
func (sd StateDict) Names() []string {
	names := make([]string, 0, len(sd))
	for n := range sd {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// MaxSafetensorsHeader bounds the JSON header of a .safetensors file (the format's own limit, 100 MB).
const MaxSafetensorsHeader = 100 << 20

// safetensorsSizes are the element sizes of the dtypes ReadSafetensors converts.
var safetensorsSizes = map[string]int{"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2,
	"I8": 1, "U8": 1, "BOOL": 1}

type safetensorsEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// ReadSafetensors reads a .safetensors file (Hugging Face's format, https://github.com/huggingface/safetensors):
// an 8-byte little-endian header length N, N bytes of JSON mapping each tensor name to its dtype, shape and
// [begin, end) byte offsets into the data that follows, then the raw little-endian data. Floating-point tensors
// (F32, F16, BF16, F64) and integer/bool ones are converted to float32; other dtypes (e.g. F8) are errors.
// The "__metadata__" entry (string to string) is returned separately.
func ReadSafetensors(path string) (StateDict, map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, errors.Wrap(err, "safetensors")
	}
	sd, meta, err := ParseSafetensors(raw)
	if err != nil {
		return nil, nil, errors.WithMessage(err, path)
	}
	return sd, meta, nil
}

// ParseSafetensors decodes the bytes of a .safetensors file, see ReadSafetensors.
func ParseSafetensors(raw []byte) (StateDict, map[string]string, error) {
	if len(raw) < 8 {
		return nil, nil, errors.Errorf("safetensors: file has %d bytes, too short for the 8-byte header length", len(raw))
	}
	n := binary.LittleEndian.Uint64(raw[:8])
	if n > MaxSafetensorsHeader || n > uint64(len(raw)-8) {
		return nil, nil, errors.Errorf("safetensors: header length %d exceeds the file (%d bytes) or the 100 MB limit: "+
			"not a .safetensors file?", n, len(raw))
	}
	header := raw[8 : 8+n]
	if len(bytes.TrimSpace(header)) == 0 || bytes.TrimSpace(header)[0] != '{' {
		return nil, nil, errors.New("safetensors: header is not a JSON object: not a .safetensors file?")
	}
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(header, &entries); err != nil {
		return nil, nil, errors.Wrap(err, "safetensors: decoding the JSON header")
	}
	body := raw[8+n:]
	sd := StateDict{}
	var meta map[string]string
	for name, msg := range entries {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, errors.Wrap(err, "safetensors: __metadata__ must map strings to strings")
			}
			continue
		}
		var e safetensorsEntry
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, nil, errors.Wrapf(err, "safetensors: tensor %q: decoding its header entry", name)
		}
		t, err := decodeEntry(name, e, body)
		if err != nil {
			return nil, nil, err
		}
		sd[name] = t
	}
	return sd, meta, nil
}

func decodeEntry(name string, e safetensorsEntry, body []byte) (*Tensor, error) {
	size, ok := safetensorsSizes[e.DType]
	if !ok {
		return nil, errors.Errorf("safetensors: tensor %q has dtype %q; supported: F32, F16, BF16, F64 and the "+
			"integer/bool types", name, e.DType)
	}
	if len(e.DataOffsets) != 2 {
		return nil, errors.Errorf("safetensors: tensor %q: data_offsets must be [begin, end], got %v", name, e.DataOffsets)
	}
	count := uint64(1)
	for _, d := range e.Shape {
		if d < 0 {
			return nil, errors.Errorf("safetensors: tensor %q has a negative dimension in shape %v", name, e.Shape)
		}
		count *= uint64(d)
		if count > uint64(len(body)) {
			return nil, errors.Errorf("safetensors: tensor %q of shape %v does not fit the %d data bytes", name, e.Shape, len(body))
		}
	}
	begin, end := e.DataOffsets[0], e.DataOffsets[1]
	if begin > end || end > uint64(len(body)) {
		return nil, errors.Errorf("safetensors: tensor %q: data_offsets [%d, %d) outside the %d data bytes (truncated file?)",
			name, begin, end, len(body))
	}
	if end-begin != count*uint64(size) {
		return nil, errors.Errorf("safetensors: tensor %q: %s shape %v needs %d bytes but data_offsets span %d",
			name, e.DType, e.Shape, count*uint64(size), end-begin)
	}
	b := body[begin:end]
	out := make([]float32, count)
	for i := range out {
		p := b[i*size:]
		switch e.DType {
		case "F32":
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(p))
		case "F64":
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(p)))
		case "F16":
			out[i] = halfToFloat32(binary.LittleEndian.Uint16(p))
		case "BF16":
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(p)) << 16)
		case "I64":
			out[i] = float32(int64(binary.LittleEndian.Uint64(p)))
		case "I32":
			out[i] = float32(int32(binary.LittleEndian.Uint32(p)))
		case "I16":
			out[i] = float32(int16(binary.LittleEndian.Uint16(p)))
		case "I8":
			out[i] = float32(int8(p[0]))
		case "U8", "BOOL":
			out[i] = float32(p[0])
		}
	}
	shape := append([]int{}, e.Shape...)
	return &Tensor{DType: e.DType, Shape: shape, Data: out}, nil
}

// halfToFloat32 converts an IEEE 754 binary16 value exactly (normal, subnormal, zero, infinity, NaN).
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: mant·2⁻²⁴
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// WriteSafetensors writes sd as a .safetensors file with every tensor stored as F32 (integer tensors such as
// num_batches_tracked included), tensors in name order, the header padded to 8 bytes.
func WriteSafetensors(w io.Writer, sd StateDict, metadata map[string]string) error {
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var offset uint64
	names := sd.Names()
	for _, name := range names {
		t := sd[name]
		if t == nil || len(t.Data) != t.Len() {
			return errors.Errorf("safetensors: tensor %q: data does not match its shape", name)
		}
		end := offset + 4*uint64(len(t.Data))
		header[name] = safetensorsEntry{DType: "F32", Shape: append([]int{}, t.Shape...), DataOffsets: []uint64{offset, end}}
		offset = end
	}
	js, err := json.Marshal(header)
	if err != nil {
		return errors.Wrap(err, "safetensors: encoding the header")
	}
	if pad := len(js) % 8; pad != 0 {
		js = append(js, bytes.Repeat([]byte{' '}, 8-pad)...)
	}
	buf := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	buf = append(buf, js...)
	for _, name := range names {
		for _, v := range sd[name].Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	}
	if _, err := w.Write(buf); err != nil {
		return errors.Wrap(err, "safetensors: writing")
	}
	return nil
}

// WriteSafetensorsFile writes sd to path, see WriteSafetensors.
func WriteSafetensorsFile(path string, sd StateDict, metadata map[string]string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrap(err, "safetensors")
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = errors.Wrapf(cerr, "safetensors: closing %s", path)
		}
	}()
	return errors.WithMessage(WriteSafetensors(f, sd, metadata), path)
}

// String summarises a tensor as dtype and shape, e.g. "F32[16 8 4 4]".
func (t *Tensor) String() string { return fmt.Sprintf("%s%v", t.DType, t.Shape) }
