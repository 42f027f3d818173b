package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/gdisent/gdisent/gdisent/reproduce"
	"github.com/gdisent/gdisent/gdisent/training"
)

// runReproduce runs experiments to their results, or regenerates the README's results table:
//
//	gdisent reproduce -list
//	gdisent reproduce ring                 # resumable: finished runs are skipped
//	gdisent reproduce -table               # README.md's table from results/*/results.json
func runReproduce(args []string) error {
	fs := flag.NewFlagSet("reproduce", flag.ContinueOnError)
	list := fs.Bool("list", false, "list the experiments and exit")
	quick := fs.Bool("quick", false, "tiny runs (a few steps) that exercise the whole pipeline")
	results := fs.String("results", "results", "results `directory`")
	work := fs.String("work", "runs/reproduce", "checkpoint `directory`")
	table := fs.Bool("table", false, "write the results table into -readme from the results directory and exit")
	summarize := fs.Bool("summarize", false, "rewrite results.json and figures from the finished runs, without training")
	readme := fs.String("readme", "README.md", "the `file` -table updates")
	maxRuns := fs.Int("max-runs", 0, "stop after training this many runs (0: all), e.g. to take experiments in turns")
	sweeps := fs.String("sweep", "", "train only these sweeps of the experiment (comma-separated names; see its results.json)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *list {
		for _, n := range reproduce.Names() {
			e, _ := reproduce.Get(n)
			fmt.Printf("%-16s %s\n", n, e.Title)
		}
		return nil
	}
	if *table {
		all, err := reproduce.ReadAll(*results)
		if err != nil {
			return err
		}
		return reproduce.UpdateReadme(*readme, reproduce.Table(all))
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("name an experiment (%s), or use -list / -table", strings.Join(reproduce.Names(), ", "))
	}
	opts := reproduce.Options{Results: *results, Work: *work, MaxRuns: *maxRuns, Reporter: training.NewTerminalReporter(os.Stderr),
		Log: func(f string, a ...any) { fmt.Fprintf(os.Stderr, "reproduce: "+f+"\n", a...) }}
	if *sweeps != "" {
		opts.Sweeps = strings.Split(*sweeps, ",")
	}
	for _, name := range fs.Args() {
		e, err := reproduce.Get(name)
		if err != nil {
			return err
		}
		if *quick {
			if e.Quick == nil {
				return fmt.Errorf("%s has no quick variant", name)
			}
			e = e.Quick()
		}
		run := reproduce.Run
		if *summarize {
			run = reproduce.Summarize
		}
		r, err := run(e, opts)
		if err != nil {
			return err
		}
		fmt.Printf("%s: %d runs finished, %d pending; %s\n", name, len(r.Runs), len(r.Pending),
			*results+"/"+name+"/results.json")
	}
	return nil
}
