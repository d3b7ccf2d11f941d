// Command invited is the invitation and membership service.
//
//	invited serve     run the HTTP API and background jobs
//	invited migrate   apply database migrations and exit
//	invited version   print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/invitedhq/invited"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "invited:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage: invited <command> [flags]

commands:
  serve     run the HTTP API and background jobs
  migrate   apply database migrations and exit
  version   print the version

Run 'invited <command> -h' for the flags of a command. Every flag can also
be set by an INVITED_* environment variable (see README.md).
`

// run is the whole program; main only wires it to the process, so tests can
// call it with their own arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "invited %s %s\n", invited.Version, invited.Commit)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
