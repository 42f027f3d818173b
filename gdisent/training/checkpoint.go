package training

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"
)

// Checkpoint files are single files named ckpt-<step>.gdc, written to a temporary file in the same directory,
// fsynced and renamed into place, so a crash or a failed write never leaves a partial checkpoint under the final
// name, and the previous checkpoints stay intact. (GoMLX's checkpoints package writes two files in place, without
// rename, so it is not atomic.)
//
// Layout: magic "GDCKPT1\n" | uint64 LE header length | JSON header | payload (variable bytes, then history
// steps/values) | uint32 LE CRC-32C of everything before it.
const (
	ckptMagic   = "GDCKPT1\n"
	ckptVersion = 1
	ckptSuffix  = ".gdc"
)

var ckptNameRe = regexp.MustCompile(`^ckpt-(\d+)\.gdc$`)

// CheckpointName returns the file name of the checkpoint of a given step.
func CheckpointName(step int64) string { return fmt.Sprintf("ckpt-%012d%s", step, ckptSuffix) }

type ckptVar struct {
	Scope     string `json:"scope"`
	Name      string `json:"name"`
	DType     string `json:"dtype"`
	Dims      []int  `json:"dims"`
	Trainable bool   `json:"trainable"`
	Offset    int64  `json:"offset"`
	Length    int64  `json:"length"`
}

type ckptSeries struct {
	Name   string `json:"name"`
	N      int    `json:"n"`
	Offset int64  `json:"offset"` // N int64 steps followed by N float64 values
}

type ckptHeader struct {
	Version   int               `json:"version"`
	Step      int64             `json:"step"`
	Seed      int64             `json:"seed"`
	Time      string            `json:"time"`
	Variables []ckptVar         `json:"variables"`
	History   []ckptSeries      `json:"history"`
	Extra     map[string]string `json:"extra,omitempty"`
	Params    map[string]string `json:"params,omitempty"`
}

// Checkpoint is a loaded checkpoint.
type Checkpoint struct {
	Path  string
	Step  int64             // steps completed when it was written
	Seed  int64             // the Loop's seed
	Extra map[string]string // user metadata
	// Params records the context hyperparameters at save time ("scope/key" → value printed with %v), for
	// provenance; they are not restored.
	Params  map[string]string
	History *History
	vars    []ckptVar
	values  []*tensors.Tensor
}

// checkpointWriteFault, when set (tests only), is called midway through writing a checkpoint's payload; a non-nil
// error aborts the write as an I/O error would.
var checkpointWriteFault func(path string) error

// SaveCheckpoint writes ctx's variables (weights, optimiser state, the RNG state), step, seed, history (may be nil)
// and extra metadata atomically to dir/CheckpointName(step), and returns its path. Variables not initialised yet
// are skipped; values restored by ApplyCheckpoint but not yet claimed by a graph are included.
//
// A float variable holding a NaN or ±Inf aborts the write with a *NonFiniteParameterError naming it (scope/name
// and flat index) and its value; no checkpoint file is left behind.
func SaveCheckpoint(dir string, ctx *context.Context, step, seed int64, history *History, extra map[string]string) (path string, err error) {
	defer Recover(&err, "training.SaveCheckpoint")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", errors.Wrapf(err, "training.SaveCheckpoint: creating %q", dir)
	}
	hdr := ckptHeader{Version: ckptVersion, Step: step, Seed: seed, Time: time.Now().UTC().Format(time.RFC3339), Extra: extra,
		Params: map[string]string{}}
	ctx.EnumerateParams(func(scope, key string, value any) {
		hdr.Params[context.JoinScope(scope, key)] = fmt.Sprintf("%v", value)
	})
	var values []*tensors.Tensor
	var offset int64
	addVar := func(scope, name string, trainable bool, t *tensors.Tensor) {
		n := int64(t.Shape().Memory())
		hdr.Variables = append(hdr.Variables, ckptVar{Scope: scope, Name: name, DType: t.DType().String(),
			Dims: t.Shape().Dimensions, Trainable: trainable, Offset: offset, Length: n})
		values = append(values, t)
		offset += n
	}
	seen := map[string]bool{}
	for v := range ctx.IterVariables() {
		if !v.HasValue() {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return "", errors.WithMessagef(err, "training.SaveCheckpoint: reading %s", v.ScopeAndName())
		}
		addVar(v.Scope(), v.Name(), v.Trainable, t)
		seen[v.ScopeAndName()] = true
	}
	if pl, ok := ctx.Loader().(*pendingLoader); ok {
		for _, k := range pl.keys() {
			p := pl.values[k]
			if !seen[context.JoinScope(p.v.Scope, p.v.Name)] {
				addVar(p.v.Scope, p.v.Name, p.v.Trainable, p.t)
			}
		}
	}
	var series []Series
	if history != nil {
		series = history.All()
	}
	for _, s := range series {
		hdr.History = append(hdr.History, ckptSeries{Name: s.Name, N: len(s.Values), Offset: offset})
		offset += int64(len(s.Values)) * 16
	}
	header, err := json.Marshal(&hdr)
	if err != nil {
		return "", errors.Wrap(err, "training.SaveCheckpoint: encoding header")
	}

	final := filepath.Join(dir, CheckpointName(step))
	tmp, err := os.CreateTemp(dir, ".ckpt-*.tmp")
	if err != nil {
		return "", errors.Wrapf(err, "training.SaveCheckpoint: creating temporary file in %q", dir)
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	crc := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	w := bufio.NewWriterSize(io.MultiWriter(tmp, crc), 1<<20)
	var buf8 [8]byte
	write := func(b []byte) error { _, err := w.Write(b); return err }
	if err := write([]byte(ckptMagic)); err != nil {
		return "", errors.Wrapf(err, "training.SaveCheckpoint: writing %q", tmpName)
	}
	binary.LittleEndian.PutUint64(buf8[:], uint64(len(header)))
	if err := write(buf8[:]); err != nil {
		return "", errors.Wrapf(err, "training.SaveCheckpoint: writing %q", tmpName)
	}
	if err := write(header); err != nil {
		return "", errors.Wrapf(err, "training.SaveCheckpoint: writing %q", tmpName)
	}
	for i, t := range values {
		if i == len(values)/2 && checkpointWriteFault != nil {
			if err := checkpointWriteFault(final); err != nil {
				return "", errors.Wrapf(err, "training.SaveCheckpoint: writing %q", tmpName)
			}
		}
		var werr error
		var bad *NonFiniteParameterError
		cv := hdr.Variables[i]
		if err := t.ConstBytes(func(b []byte) {
			if j, x, found := firstNonFinite(t.DType(), b); found {
				bad = &NonFiniteParameterError{Name: fmt.Sprintf("%s[%d]", context.JoinScope(cv.Scope, cv.Name), j), Value: x}
				return
			}
			werr = write(b)
		}); err != nil {
			return "", errors.Wrapf(err, "training.SaveCheckpoint: reading variable %s", hdr.Variables[i].Name)
		}
		if bad != nil { // returned before the rename: no checkpoint holding it is committed
			return "", errors.WithMessagef(bad, "training.SaveCheckpoint(step %d)", step)
		}
		if werr != nil {
			return "", errors.Wrapf(werr, "training.SaveCheckpoint: writing %q", tmpName)
		}
	}
	for _, s := range series {
		for _, st := range s.Steps {
			binary.LittleEndian.PutUint64(buf8[:], uint64(st))
			if err := write(buf8[:]); err != nil {
				return "", errors.Wrapf(err, "training.SaveCheckpoint: writing %q", tmpName)
			}
		}
		for _, v := range s.Values {
			binary.LittleEndian.PutUint64(buf8[:], math.Float64bits(v))
			if err := write(buf8[:]); err != nil {
				return "", errors.Wrapf(err, "training.SaveCheckpoint: writing %q", tmpName)
			}
		}
	}
	if err := w.Flush(); err != nil {
		return "", errors.Wrapf(err, "training.SaveCheckpoint: writing %q", tmpName)
	}
	var buf4 [4]byte
	binary.LittleEndian.PutUint32(buf4[:], crc.Sum32())
	if _, err := tmp.Write(buf4[:]); err != nil {
		return "", errors.Wrapf(err, "training.SaveCheckpoint: writing %q", tmpName)
	}
	if err := tmp.Sync(); err != nil {
		return "", errors.Wrapf(err, "training.SaveCheckpoint: syncing %q", tmpName)
	}
	if err := tmp.Close(); err != nil {
		return "", errors.Wrapf(err, "training.SaveCheckpoint: closing %q", tmpName)
	}
	if err := os.Rename(tmpName, final); err != nil {
		return "", errors.Wrapf(err, "training.SaveCheckpoint: renaming %q to %q", tmpName, final)
	}
	committed = true
	if d, err := os.Open(dir); err == nil { // persist the rename
		_ = d.Sync()
		_ = d.Close()
	}
	return final, nil
}

// NonFiniteParameterError is returned by SaveCheckpoint when a float variable holds a NaN or ±Inf: the checkpoint
// is not written, so that a resume never starts from it.
type NonFiniteParameterError struct {
	Name  string  // "scope/name[flat index]" of the first non-finite element
	Value float64 // its value
}

func (e *NonFiniteParameterError) Error() string {
	return fmt.Sprintf("parameter %s is %v (not finite); checkpoint not written", e.Name, e.Value)
}

// firstNonFinite returns the flat index and value of the first NaN or ±Inf element of a tensor's raw bytes (in
// native byte order) when its dtype is a float type.
func firstNonFinite(dt dtypes.DType, b []byte) (index int, value float64, found bool) {
	switch dt {
	case dtypes.Float32:
		for i := 0; i+4 <= len(b); i += 4 {
			if bits := binary.NativeEndian.Uint32(b[i:]); bits&0x7f800000 == 0x7f800000 {
				return i / 4, float64(math.Float32frombits(bits)), true
			}
		}
	case dtypes.Float64:
		for i := 0; i+8 <= len(b); i += 8 {
			if v := math.Float64frombits(binary.NativeEndian.Uint64(b[i:])); math.IsNaN(v) || math.IsInf(v, 0) {
				return i / 8, v, true
			}
		}
	case dtypes.BFloat16:
		for i := 0; i+2 <= len(b); i += 2 {
			if bits := binary.NativeEndian.Uint16(b[i:]); bits&0x7f80 == 0x7f80 {
				return i / 2, float64(math.Float32frombits(uint32(bits) << 16)), true
			}
		}
	case dtypes.Float16:
		for i := 0; i+2 <= len(b); i += 2 {
			if bits := binary.NativeEndian.Uint16(b[i:]); bits&0x7c00 == 0x7c00 {
				v := math.NaN()
				if bits&0x03ff == 0 {
					v = math.Inf(1 - 2*int(bits>>15))
				}
				return i / 2, v, true
			}
		}
	}
	return 0, 0, false
}

// ListCheckpoints returns the checkpoint paths in dir sorted by step (oldest first). A missing dir is no error.
func ListCheckpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, errors.Wrapf(err, "training: listing checkpoints in %q", dir)
	}
	type item struct {
		step int64
		path string
	}
	var items []item
	for _, e := range entries {
		m := ckptNameRe.FindStringSubmatch(e.Name())
		if e.IsDir() || m == nil {
			continue
		}
		step, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			continue
		}
		items = append(items, item{step, filepath.Join(dir, e.Name())})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].step < items[j].step })
	paths := make([]string, len(items))
	for i, it := range items {
		paths[i] = it.path
	}
	return paths, nil
}

// PruneCheckpoints removes all but the newest keep checkpoints in dir (keep <= 0 keeps all), and stale temporary
// files left by interrupted writes.
func PruneCheckpoints(dir string, keep int) error {
	if stale, _ := filepath.Glob(filepath.Join(dir, ".ckpt-*.tmp")); len(stale) > 0 {
		for _, f := range stale {
			_ = os.Remove(f)
		}
	}
	if keep <= 0 {
		return nil
	}
	paths, err := ListCheckpoints(dir)
	if err != nil {
		return err
	}
	for _, p := range paths[:max(0, len(paths)-keep)] {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return errors.Wrapf(err, "training: removing old checkpoint %q", p)
		}
	}
	return nil
}

// LatestCheckpoint loads the newest readable checkpoint in dir; a corrupt newest file falls back to the previous
// one. It returns (nil, nil) when dir holds no checkpoint.
func LatestCheckpoint(dir string) (*Checkpoint, error) {
	paths, err := ListCheckpoints(dir)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for i := len(paths) - 1; i >= 0; i-- {
		c, err := LoadCheckpoint(paths[i])
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, errors.WithMessagef(firstErr, "training: no readable checkpoint in %q", dir)
	}
	return nil, nil
}

// LoadCheckpoint reads and verifies (CRC-32C) one checkpoint file.
func LoadCheckpoint(path string) (c *Checkpoint, err error) {
	defer Recover(&err, "training.LoadCheckpoint(%s)", path)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrapf(err, "training: reading checkpoint")
	}
	fail := func(format string, args ...any) (*Checkpoint, error) {
		return nil, errors.Errorf("training: checkpoint %q: %s", path, fmt.Sprintf(format, args...))
	}
	if len(data) < len(ckptMagic)+12 || string(data[:len(ckptMagic)]) != ckptMagic {
		return fail("not a gdisent checkpoint (bad magic or truncated)")
	}
	body := data[:len(data)-4]
	var crc hash.Hash32 = crc32.New(crc32.MakeTable(crc32.Castagnoli))
	crc.Write(body)
	if crc.Sum32() != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return fail("checksum mismatch (corrupt or truncated)")
	}
	pos := len(ckptMagic)
	hlen := int(binary.LittleEndian.Uint64(data[pos:]))
	pos += 8
	if hlen < 0 || pos+hlen > len(body) {
		return fail("bad header length %d", hlen)
	}
	var hdr ckptHeader
	dec := json.NewDecoder(bytes.NewReader(data[pos : pos+hlen]))
	if err := dec.Decode(&hdr); err != nil {
		return fail("decoding header: %v", err)
	}
	if hdr.Version != ckptVersion {
		return fail("unsupported version %d", hdr.Version)
	}
	payload := body[pos+hlen:]
	c = &Checkpoint{Path: path, Step: hdr.Step, Seed: hdr.Seed, Extra: hdr.Extra, Params: hdr.Params, vars: hdr.Variables, History: NewHistory()}
	for _, v := range hdr.Variables {
		dt, err := dtypes.DTypeString(v.DType)
		if err != nil {
			return fail("variable %s/%s: dtype %q: %v", v.Scope, v.Name, v.DType, err)
		}
		shape := shapes.Make(dt, v.Dims...)
		if int64(shape.Memory()) != v.Length || v.Offset < 0 || v.Offset+v.Length > int64(len(payload)) {
			return fail("variable %s/%s: bad extent", v.Scope, v.Name)
		}
		t := tensors.FromShape(shape)
		if err := t.MutableBytes(func(b []byte) { copy(b, payload[v.Offset:v.Offset+v.Length]) }); err != nil {
			return fail("variable %s/%s: %v", v.Scope, v.Name, err)
		}
		c.values = append(c.values, t)
	}
	var series []Series
	for _, s := range hdr.History {
		end := s.Offset + int64(s.N)*16
		if s.N < 0 || s.Offset < 0 || end > int64(len(payload)) {
			return fail("history %q: bad extent", s.Name)
		}
		ser := Series{Name: s.Name, Steps: make([]int64, s.N), Values: make([]float64, s.N)}
		for i := 0; i < s.N; i++ {
			ser.Steps[i] = int64(binary.LittleEndian.Uint64(payload[s.Offset+int64(8*i):]))
			ser.Values[i] = math.Float64frombits(binary.LittleEndian.Uint64(payload[s.Offset+int64(8*(s.N+i)):]))
		}
		series = append(series, ser)
	}
	c.History.replace(series)
	return c, nil
}

// VariableNames returns "scope/name" of every variable in the checkpoint.
func (c *Checkpoint) VariableNames() []string {
	names := make([]string, len(c.vars))
	for i, v := range c.vars {
		names[i] = context.JoinScope(v.Scope, v.Name)
	}
	return names
}

// Values returns the stored tensors keyed by "scope/name", e.g. to inspect a checkpoint without building the model
// whose graph would create the variables.
func (c *Checkpoint) Values() map[string]*tensors.Tensor {
	out := make(map[string]*tensors.Tensor, len(c.vars))
	for i, v := range c.vars {
		out[context.JoinScope(v.Scope, v.Name)] = c.values[i]
	}
	return out
}

// Apply sets ctx's variables to the checkpoint's values: existing variables are overwritten (shapes must match);
// the others are handed to ctx's variable loader and picked up when a graph creates them.
func (c *Checkpoint) Apply(ctx *context.Context) (err error) {
	defer Recover(&err, "training: applying checkpoint %s", c.Path)
	pl := &pendingLoader{values: map[string]pendingValue{}}
	for i, v := range c.vars {
		t := c.values[i]
		if existing := ctx.InspectVariableIfLoaded(v.Scope, v.Name); existing != nil {
			if !existing.Shape().Equal(t.Shape()) {
				return errors.Errorf("variable %s/%s has shape %s in the model but %s in the checkpoint",
					v.Scope, v.Name, existing.Shape(), t.Shape())
			}
			clone, err := t.Clone()
			if err != nil {
				return err
			}
			if err := existing.SetValue(clone); err != nil {
				return errors.WithMessagef(err, "setting %s/%s", v.Scope, v.Name)
			}
			existing.Trainable = v.Trainable
			continue
		}
		clone, err := t.Clone()
		if err != nil {
			return err
		}
		pl.values[context.JoinScope(v.Scope, v.Name)] = pendingValue{v: v, t: clone}
	}
	if len(pl.values) > 0 {
		ctx.SetLoader(pl)
	}
	return nil
}

// pendingLoader hands restored values to variables created after the checkpoint was applied.
type pendingLoader struct {
	values map[string]pendingValue
}

type pendingValue struct {
	v ckptVar
	t *tensors.Tensor
}

func (p *pendingLoader) keys() []string {
	ks := make([]string, 0, len(p.values))
	for k := range p.values {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// LoadVariable implements context.Loader.
func (p *pendingLoader) LoadVariable(_ *context.Context, scope, name string) (*tensors.Tensor, bool) {
	k := context.JoinScope(scope, name)
	pv, ok := p.values[k]
	if !ok {
		return nil, false
	}
	delete(p.values, k)
	return pv.t, true
}

// DeleteVariable implements context.Loader.
func (p *pendingLoader) DeleteVariable(_ *context.Context, scope, name string) error {
	delete(p.values, context.JoinScope(scope, name))
	return nil
}
