// Command gdisent is the command-line entry to gdisent: backend information and plugin installation, metrics on
// .npy arrays, and sweeps.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/gomlx/go-xla/pkg/installer"

	"github.com/gdisent/gdisent/gdisent/backend"
)

type command struct {
	name, help string
	run        func(args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"backend", "print the backend gdisent picks on this machine and why", runBackend},
		{"install-pjrt", "try to install the XLA/PJRT plugin for this machine (needs network access)", runInstallPJRT},
		{"metrics", "score codes against ground-truth factors given as .npy files (prints JSON)", runMetrics},
		{"sweep", "train one run of a seeds × hyperparameters sweep (-index or $SLURM_ARRAY_TASK_ID), or -list/-all", runSweep},
		{"select", "rank a sweep directory's finished runs with ModelCentrality and UDR (prints JSON)", runSelect},
		{"reproduce", "run a paper's experiment to its results (resumable), or -list, or -table for the README", runReproduce},
	}
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	for _, c := range commands {
		if c.name == os.Args[1] {
			if err := c.run(os.Args[2:]); err != nil {
				fmt.Fprintf(os.Stderr, "gdisent %s: %v\n", c.name, err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "gdisent: unknown command %q\n", os.Args[1])
	usage()
	os.Exit(2)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gdisent <command> [flags]\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-13s %s\n", c.name, c.help)
	}
}

func runBackend(args []string) error {
	fs := flag.NewFlagSet("backend", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	backend.Report = nil
	c := backend.Choose()
	b, err := backend.New()
	if err != nil {
		return err
	}
	fmt.Printf("%s (%s): %s\n", c.Config, b.Description(), c.Reason)
	return nil
}

func runInstallPJRT(args []string) error {
	fs := flag.NewFlagSet("install-pjrt", flag.ContinueOnError)
	timeout := fs.Duration("timeout", time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- installer.AutoInstall("", true, installer.Quiet) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("PJRT plugin install failed (no network access to its download site?): %w", err)
		}
		fmt.Println("gdisent: PJRT plugin installed (or already present)")
		return nil
	case <-time.After(*timeout):
		return fmt.Errorf("PJRT plugin install did not finish within %s; giving up", *timeout)
	}
}
