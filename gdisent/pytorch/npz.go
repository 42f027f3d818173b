package pytorch

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/data"
)

// ReadNPZ reads a NumPy .npz archive (np.savez or np.savez_compressed: a zip of .npy files, one per array, named
// after the key) into a state dict, e.g. one written by
//
//	np.savez("g.npz", **{k: v.cpu().numpy() for k, v in model.state_dict().items()})
//
// Arrays must be little-endian, C order, float32/float64/int64/int32/uint8/bool (see data.ReadNPY); values are
// converted to float32.
func ReadNPZ(path string) (StateDict, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, errors.Wrapf(err, "npz: opening %s (an .npz file is a zip archive of .npy files)", path)
	}
	defer zr.Close()
	sd := StateDict{}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		name := strings.TrimSuffix(f.Name, ".npy")
		if name == f.Name {
			return nil, errors.Errorf("npz: %s: entry %q is not a .npy file", path, f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, errors.Wrapf(err, "npz: %s: opening entry %q", path, f.Name)
		}
		a, err := data.ReadNPY(rc)
		rc.Close()
		if err != nil {
			return nil, errors.Wrapf(err, "npz: %s: array %q", path, name)
		}
		sd[name] = &Tensor{DType: npyDType(a.Data), Shape: append([]int{}, a.Shape...), Data: a.Float32s()}
	}
	if len(sd) == 0 {
		return nil, errors.Errorf("npz: %s holds no arrays", path)
	}
	return sd, nil
}

func npyDType(d any) string {
	switch d.(type) {
	case []float32:
		return "F32"
	case []float64:
		return "F64"
	case []int64:
		return "I64"
	case []int32:
		return "I32"
	}
	return "U8"
}

// WriteNPZ writes sd as an .npz archive of float32 arrays (stored uncompressed, as np.savez does, or deflated as
// np.savez_compressed does), readable by np.load and ReadNPZ.
func WriteNPZ(path string, sd StateDict, compress bool) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrap(err, "npz")
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = errors.Wrapf(cerr, "npz: closing %s", path)
		}
	}()
	zw := zip.NewWriter(f)
	method := zip.Store
	if compress {
		method = zip.Deflate
	}
	for _, name := range sd.Names() {
		t := sd[name]
		var buf bytes.Buffer
		if err := data.WriteNPY(&buf, t.Shape, t.Data); err != nil {
			return errors.Wrapf(err, "npz: %s: array %q", path, name)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: method})
		if err != nil {
			return errors.Wrapf(err, "npz: %s", path)
		}
		if _, err := io.Copy(w, &buf); err != nil {
			return errors.Wrapf(err, "npz: %s: writing %q", path, name)
		}
	}
	return errors.Wrapf(zw.Close(), "npz: %s", path)
}
