package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gdisent/gdisent/gdisent/sweep"
	"github.com/gdisent/gdisent/gdisent/training"
)

// Environment variables that carry a task's index under the schedulers gdisent documents.
var indexEnvs = []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"}

// runSweep trains one run of a sweep (one process per model), all runs in order, or lists them:
//
//	gdisent sweep -config sweep.json -list
//	gdisent sweep -config sweep.json -index 3
//	gdisent sweep -config sweep.json            # index from $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX
//	gdisent sweep -config sweep.json -all
func runSweep(args []string) error {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	config := fs.String("config", "", "sweep `file` (JSON: kind, dir, steps, seeds, params, grid)")
	index := fs.String("index", "", "run `index` to train (default: $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX)")
	list := fs.Bool("list", false, "list the runs with their index, id and status, and exit")
	all := fs.Bool("all", false, "train every run in order in this process (DONE runs are skipped)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *config == "" {
		return fmt.Errorf("-config is required (kinds: %s)", strings.Join(sweep.Kinds(), ", "))
	}
	s, err := sweep.LoadSweep(*config)
	if err != nil {
		return err
	}
	rep := training.NewTerminalReporter(os.Stderr)
	switch {
	case *list:
		runs, err := s.Runs()
		if err != nil {
			return err
		}
		fmt.Printf("# sweep %q: %d runs of kind %s in %s\n", s.Name, len(runs), s.Kind, s.Dir)
		for _, r := range runs {
			fmt.Printf("%d\t%s\t%s\n", r.Index, r.ID, r.Status())
		}
		return nil
	case *all:
		states, err := s.RunAll(rep)
		for i, st := range states {
			fmt.Printf("run %d: %s\n", i, st)
		}
		return err
	}
	i, err := resolveIndex(*index, os.Getenv)
	if err != nil {
		return err
	}
	run, err := s.RunAt(i)
	if err != nil {
		return err
	}
	st, err := s.Run(i, rep)
	if err != nil {
		return err
	}
	fmt.Printf("run %d (%s): %s\n", i, run.ID, st)
	return nil
}

// resolveIndex returns the -index flag's value or, without it, the scheduler's task index.
func resolveIndex(flagValue string, getenv func(string) string) (int, error) {
	src, v := "-index", strings.TrimSpace(flagValue)
	if v == "" {
		for _, env := range indexEnvs {
			if e := strings.TrimSpace(getenv(env)); e != "" {
				src, v = "$"+env, e
				break
			}
		}
	}
	if v == "" {
		return 0, fmt.Errorf("no run index: pass -index, set $SLURM_ARRAY_TASK_ID (Slurm job array) or " +
			"$JOB_COMPLETION_INDEX (Kubernetes Indexed Job), or use -all / -list")
	}
	i, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("run index from %s is %q, not an integer", src, v)
	}
	return i, nil
}
