package metrics

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// recorder is a ValueRecorder keeping every call.
type recorder map[string][][2]float64

func (r recorder) AddValue(name string, step int64, v float64) {
	r[name] = append(r[name], [2]float64{float64(step), v})
}

// TestTrackerRecord: the hook evaluates at multiples of Every and records each score at steps−1.
func TestTrackerRecord(t *testing.T) {
	cfg := testConfig(DisentanglementLib)
	cfg.NumTrain, cfg.NumTest = 500, 250
	calls := 0
	tr, err := NewTracker([]string{NameMIG}, 5, func() Encoder {
		calls++
		if calls == 1 {
			return randomEnc(2)
		}
		return identityEnc
	}, testSource, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := recorder{}
	hook := tr.Record(rec)
	for steps := int64(1); steps <= 12; steps++ {
		if err := hook(steps); err != nil {
			t.Fatal(err)
		}
	}
	got := rec[HistoryPrefix+NameMIG]
	if len(rec) != 1 || len(got) != 2 || got[0][0] != 4 || got[1][0] != 9 {
		t.Fatalf("recorded %v, want metric/mig at steps 4 and 9", rec)
	}
	if !(got[0][1] < 0.1 && got[1][1] > 0.9) {
		t.Errorf("MIG %v, want random then identity", got)
	}
	if err := tr.Record(nil)(5); err == nil {
		t.Error("nil history accepted")
	}
}

// TestEvaluateLabelled: known labels give the same scores as the factor source's own draw; bad shapes are errors.
func TestEvaluateLabelled(t *testing.T) {
	cfg := testConfig(DisentanglementLib)
	rng := rand.New(rand.NewPCG(4, 4))
	n := 1500
	labels := testSource.Sample(rng, n)
	images, _ := testSource.Observe(labels, n)
	cfg.EncodeBatch = 400 // several batches
	id, err := EvaluateLabelled(identityEnc, images, n, labels, 3, []string{NameMIG, NameExplicitness}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rnd, err := EvaluateLabelled(randomEnc(3), images, n, labels, 3, []string{NameMIG, NameExplicitness}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if id.MIG.Score < 0.9 || rnd.MIG.Score > 0.1 || id.Explicit.Test < 0.95 || rnd.Explicit.Test > 0.6 {
		t.Errorf("identity MIG %.2f explicitness %.2f; random %.2f, %.2f", id.MIG.Score, id.Explicit.Test,
			rnd.MIG.Score, rnd.Explicit.Test)
	}
	// One labelled factor of the three: the MI column of that factor only.
	first := make([]int, n)
	for i := range first {
		first[i] = labels[i*3]
	}
	one, err := EvaluateLabelled(identityEnc, images, n, first, 1, []string{NameMIG}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if one.K != 1 || one.D != 3 || len(one.MIG.MI) != 3 || one.MIG.MI[0][0] < 5*one.MIG.MI[1][0] {
		t.Errorf("one factor: K %d, D %d, MI %v", one.K, one.D, one.MIG.MI)
	}
	again, _ := EvaluateLabelled(identityEnc, images, n, first, 1, []string{NameMIG}, cfg)
	if !reflect.DeepEqual(one.MIG, again.MIG) {
		t.Error("not deterministic")
	}
	for _, c := range []struct {
		name string
		err  func() error
		want string
	}{
		{"nil encoder", func() error { _, err := EvaluateLabelled(nil, images, n, labels, 3, nil, cfg); return err }, "nil Encoder"},
		{"partial", func() error { _, err := EvaluateLabelled(identityEnc, images[:10], n, labels, 3, nil, cfg); return err }, "whole observations"},
		{"labels", func() error { _, err := EvaluateLabelled(identityEnc, images, n, labels[:9], 3, nil, cfg); return err }, "labels"},
		{"interventional", func() error {
			_, err := EvaluateLabelled(identityEnc, images, n, labels, 3, []string{NameFactorVAE}, cfg)
			return err
		}, "FactorSource"},
	} {
		if err := c.err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error mentioning %q", c.name, err, c.want)
		}
	}
}
