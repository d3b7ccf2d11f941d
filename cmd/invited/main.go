// Command invited is the invitation and membership service.
//
//	invited serve     run the HTTP API and background jobs
//	invited migrate   apply database migrations and exit
//	invited keys      rotate or list the keys that sign acceptance tickets
//	invited reseal    encrypt stored secrets again under the first encryption key
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
	"github.com/invitedhq/invited/internal/config"
	"github.com/invitedhq/invited/internal/sqlstore"
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
  keys      rotate or list the keys that sign acceptance tickets
            (invited keys rotate, invited keys list)
  reseal    encrypt the stored secrets again under the first key of
            INVITED_ENCRYPTION_KEYS, so that the others can be removed
  healthcheck  exit 0 if the server at --url (or INVITED_ADDR) is ready
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
		return serve(ctx, args[1:], getenv, stdout, stderr, nil)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout, stderr)
	case "keys":
		return keys(ctx, args[1:], getenv, stdout, stderr)
	case "reseal":
		return reseal(ctx, args[1:], getenv, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, args[1:], getenv, stdout, stderr)
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

// openDatabase opens, and migrates, the database that the configuration of
// command names, for the commands that work on it and exit.
func openDatabase(ctx context.Context, command string, args []string, getenv func(string) string, stderr io.Writer) (*sqlstore.DB, config.Config, error) {
	cfg, err := config.Parse(command, args, getenv, stderr)
	if err != nil {
		return nil, cfg, err
	}
	logger, err := newLogger(cfg, stderr)
	if err != nil {
		return nil, cfg, err
	}
	db, err := sqlstore.Open(ctx, cfg.DatabaseURL, sqlstore.Options{Logger: logger, Secrets: cfg.Secrets})
	if err != nil {
		return nil, cfg, fmt.Errorf("%s: %w", command, err)
	}
	return db, cfg, nil
}
