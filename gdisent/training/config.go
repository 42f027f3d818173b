package training

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent"
)

// Model is what every trainable family (vae, vaegan, infogan) implements: a generator, an encoder, and training
// with one meaning of steps.
//
// Train runs up to step `steps` in total: a model at step s (after a resume, or an earlier Train call) runs
// steps−s more, and none when s ≥ steps, so re-running a notebook cell or a killed job continues rather than
// repeats. Each family's Load(backend, dir) rebuilds a model from its checkpoint directory alone.
type Model interface {
	gdisent.Generator
	gdisent.Encoder
	// Train draws batches from ds until the model has taken steps steps; rep nil picks AutoReporter.
	Train(ds gdisent.Dataset, steps int, rep Reporter) error
	// Step is the number of training steps taken so far.
	Step() int64
	// History is the logged training metrics.
	History() *History
	// CodeDim is the width of Encode's codes.
	CodeDim() int
}

// Keys of the model description every checkpoint of a family's Model carries (Checkpoint.Extra).
const (
	ExtraKind   = "kind"   // the model family, e.g. "vae", "vaegan", "infogan"
	ExtraConfig = "config" // the family's Config as JSON
)

// RecordConfig stores the model family and its typed configuration (as JSON) in every checkpoint, so that a
// checkpoint directory alone rebuilds the model (see ReadConfig), and makes Restore refuse a checkpoint whose
// recorded configuration differs from cfg in any field except the named ones (run-keeping settings such as the
// checkpoint interval, which change nothing about the model).
func (l *Loop) RecordConfig(kind string, cfg any, ignore ...string) error {
	b, err := json.Marshal(cfg)
	if err != nil {
		return errors.Wrapf(err, "training: recording the %s configuration", kind)
	}
	l.SetExtra(ExtraKind, kind)
	l.SetExtra(ExtraConfig, string(b))
	l.cfgIgnore = ignore
	return nil
}

// checkConfig compares a checkpoint's recorded configuration with the loop's.
func (l *Loop) checkConfig(c *Checkpoint) error {
	now, ok := l.extra[ExtraConfig]
	if !ok {
		return nil
	}
	if kind, was := c.Extra[ExtraKind], l.extra[ExtraKind]; kind != "" && kind != was {
		return errors.Errorf("training: %s holds a %s model, not a %s one: use another run directory", c.Path, kind, was)
	}
	was, ok := c.Extra[ExtraConfig]
	if !ok {
		return nil // written before configurations were recorded: the context hyperparameters are checked instead
	}
	diffs, err := ConfigDiff([]byte(was), []byte(now), l.cfgIgnore...)
	if err != nil {
		return errors.WithMessagef(err, "training: comparing with the configuration in %s", c.Path)
	}
	if len(diffs) == 0 {
		return nil
	}
	return &ConfigChangedError{Dir: l.ckptDir, Checkpoint: c.Path, Diffs: diffs}
}

// ConfigChangedError is returned when a run directory holds checkpoints of another configuration.
type ConfigChangedError struct {
	Dir, Checkpoint string
	Diffs           []string // "Field: checkpoint X, now Y"
}

func (e *ConfigChangedError) Error() string {
	return fmt.Sprintf("the run directory %s was trained with other hyperparameters (%s): resuming would mix two "+
		"configurations. Use a new run directory for the new configuration, or set StartOver in the config to "+
		"delete the old checkpoints and train from step 0", e.Dir, strings.Join(e.Diffs, "; "))
}

// ConfigDiff lists the fields (dotted JSON paths such as "VAE.Beta") whose values differ between two JSON
// configurations, skipping the named paths.
func ConfigDiff(was, now []byte, ignore ...string) ([]string, error) {
	var a, b any
	if err := json.Unmarshal(was, &a); err != nil {
		return nil, errors.Wrap(err, "decoding the recorded configuration")
	}
	if err := json.Unmarshal(now, &b); err != nil {
		return nil, errors.Wrap(err, "decoding the configuration")
	}
	skip := map[string]bool{}
	for _, k := range ignore {
		skip[k] = true
	}
	var diffs []string
	jsonDiff("", a, b, skip, &diffs)
	sort.Strings(diffs)
	return diffs, nil
}

func jsonDiff(path string, a, b any, skip map[string]bool, out *[]string) {
	if skip[path] {
		return
	}
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if ok1 && ok2 {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			jsonDiff(p, am[k], bm[k], skip, out)
		}
		return
	}
	if (a == nil && isZero(b)) || (b == nil && isZero(a)) {
		return // a field added to the Config later: its zero value keeps the old behaviour
	}
	if !reflect.DeepEqual(a, b) {
		show := func(v any) string {
			if v == nil {
				return "unset"
			}
			s, _ := json.Marshal(v)
			return string(s)
		}
		*out = append(*out, fmt.Sprintf("%s: checkpoint %s, now %s", path, show(a), show(b)))
	}
}

// isZero reports whether a decoded JSON value is its type's zero value.
func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case float64:
		return x == 0
	case string:
		return x == ""
	case bool:
		return !x
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if !isZero(e) {
				return false
			}
		}
		return true
	}
	return false
}

// ReadConfig returns the model family and configuration JSON recorded in the latest checkpoint of dir.
func ReadConfig(dir string) (kind string, cfg []byte, err error) {
	if _, err := os.Stat(dir); err != nil {
		return "", nil, errors.Wrapf(err, "training: reading run directory %q", dir)
	}
	c, err := LatestCheckpoint(dir)
	if err != nil {
		return "", nil, err
	}
	if c == nil {
		return "", nil, errors.Errorf("training: no checkpoint in %s (train the model first)", dir)
	}
	kind, raw := c.Extra[ExtraKind], c.Extra[ExtraConfig]
	if raw == "" {
		return "", nil, errors.Errorf("training: %s records no model configuration (written by an older gdisent?)", c.Path)
	}
	return kind, []byte(raw), nil
}

// DecodeConfig decodes a JSON configuration into cfg (pre-filled with defaults), refusing unknown fields so that a
// misspelled name is an error that names it.
func DecodeConfig(raw []byte, cfg any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return errors.Wrap(err, "decoding the configuration")
	}
	return nil
}

// LoadConfig reads the configuration recorded in dir's latest checkpoint into cfg, checking the model family.
func LoadConfig(dir, kind string, cfg any) error {
	got, raw, err := ReadConfig(dir)
	if err != nil {
		return err
	}
	if got != kind {
		return errors.Errorf("training: %s holds a %q model, not a %q one", dir, got, kind)
	}
	return errors.WithMessagef(DecodeConfig(raw, cfg), "training: configuration in %s", dir)
}

// StartOver deletes the checkpoints (and temporary checkpoint files) in dir, holding the run directory's lock, so
// that training starts from step 0. Other files in dir are kept.
func StartOver(dir string) error {
	lock, err := LockRunDir(dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	return removeCheckpoints(dir)
}

func removeCheckpoints(dir string) error {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return errors.Wrapf(err, "training.StartOver: reading %s", dir)
	}
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, "ckpt-") || strings.HasPrefix(n, ".ckpt-") {
			if err := os.Remove(dir + string(os.PathSeparator) + n); err != nil {
				return errors.Wrap(err, "training.StartOver")
			}
		}
	}
	return nil
}

// Fit is the body every family's Train shares: it checks steps and the dataset's observation shape against the
// model's, takes the run directory's lock, prepares the run once per Loop (with startOver the checkpoints there are
// deleted, otherwise the latest one is restored), hands ds to bind for the run's duration (nil afterwards) and
// runs up to step `steps` with reporter rep (nil: AutoReporter).
func (l *Loop) Fit(ds gdisent.Dataset, shape [3]int, steps int, rep Reporter, startOver bool, bind func(gdisent.Dataset)) error {
	switch {
	case steps < 0:
		return errors.Errorf("steps must be >= 0, got %d", steps)
	case ds == nil:
		return errors.New("nil dataset")
	case ds.ImageShape() != shape:
		return errors.Errorf("the dataset's observations are %v, the model's %v", ds.ImageShape(), shape)
	}
	unlock, err := l.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if !l.prepared && l.ckptDir != "" {
		if startOver {
			err = removeCheckpoints(l.ckptDir)
		} else {
			_, err = l.Restore()
		}
		if err != nil {
			return err
		}
	}
	l.prepared = true
	bind(ds)
	defer bind(nil)
	l.Reporter(rep)
	return l.RunTo(int64(steps))
}
