// Command gdisent is the command-line entry to gdisent: backend info, metrics on .npy files, sweeps.
package main

import (
	"fmt"
	"os"

	"github.com/gdisent/gdisent/gdisent/backend"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	switch os.Args[1] {
	case "backend":
		b, err := backend.New()
		if err != nil {
			fmt.Fprintln(os.Stderr, "gdisent:", err)
			os.Exit(1)
		}
		fmt.Println(b.Name(), "—", b.Description())
	default:
		usage()
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: gdisent <command>
commands:
  backend   print the backend gdisent picks on this machine`)
}
