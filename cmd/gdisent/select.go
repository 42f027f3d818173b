package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/gdisent/gdisent/gdisent/metrics"
	"github.com/gdisent/gdisent/gdisent/selection"
	"github.com/gdisent/gdisent/gdisent/sweep"
)

// runSelect ranks the finished runs of a sweep directory with ModelCentrality and UDR and prints JSON.
func runSelect(args []string) error {
	fs := flag.NewFlagSet("select", flag.ContinueOnError)
	dir := fs.String("dir", "", "sweep `directory` (holds sweep.json, written by `gdisent sweep`)")
	groups := fs.Int("groups", 500, "ModelCentrality: FactorVAE-metric groups per model")
	groupSize := fs.Int("group-size", 100, "ModelCentrality: observations per group (L)")
	variance := fs.Int("variance", 73728, "ModelCentrality: samples for the normalising variances")
	inputs := fs.Int("udr-inputs", 1000, "UDR: shared dSprites inputs")
	seed := fs.Uint64("seed", 0, "random seed of the metric draws and the UDR inputs")
	skipMC := fs.Bool("no-mc", false, "skip ModelCentrality")
	skipUDR := fs.Bool("no-udr", false, "skip UDR")
	out := fs.String("o", "", "write the JSON result to this file instead of standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("-dir is required")
	}
	s, err := sweep.OpenSweep(*dir)
	if err != nil {
		return err
	}
	trained, runs, err := s.LoadModels()
	if err != nil {
		return err
	}
	models := selection.Models(trained)
	if len(models) < 2 {
		return fmt.Errorf("%s has %d finished runs; selection needs at least 2", *dir, len(models))
	}
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	res := map[string]any{"runs": ids}
	if !*skipMC {
		mc := metrics.InfoGANCRConfig()
		mc.Seed, mc.NumGroups, mc.GroupSize, mc.NumVariance = *seed, *groups, *groupSize, *variance
		r, err := selection.ModelCentrality(models, selection.CentralityConfig{Metric: &mc,
			Progress: func(d, t int) { fmt.Fprintf(os.Stderr, "ModelCentrality: model %d/%d\n", d, t) }})
		if err != nil {
			return err
		}
		res["model_centrality"] = r
		res["model_centrality_pick"] = ids[r.Best]
	}
	if !*skipUDR {
		ds, err := sweep.Dataset(runs[0]) // the data the pool was trained on
		if err != nil {
			return err
		}
		images, err := ds.SampleImages(rand.New(rand.NewPCG(*seed, 0x0d7)), *inputs)
		if err != nil {
			return err
		}
		reps, err := selection.Representations(models, images, *inputs, 0)
		if err != nil {
			return err
		}
		for _, m := range []selection.UDRMethod{selection.UDRLasso, selection.UDRSpearman} {
			r, err := selection.UDR(reps, selection.UDRConfig{Method: m})
			if err != nil {
				return err
			}
			res["udr_"+m.String()] = r
			res["udr_"+m.String()+"_pick"] = ids[r.Best]
		}
	}
	var w io.Writer = os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
