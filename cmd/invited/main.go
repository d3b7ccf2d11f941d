// Command invited is the invitation and membership service, and the
// command-line client of its API.
//
//	invited serve          run the HTTP API and background jobs
//	invited migrate        apply database migrations and exit
//	invited signing-keys   rotate or list the keys that sign acceptance tickets
//	invited reseal         encrypt stored secrets again under the first encryption key
//	invited backup FILE    copy the SQLite database, consistently, while the service runs
//	invited version        print the version
//	invited orgs, invite, invitations, members, roles, api-keys, webhooks
//	                       administer a running service through its API (docs/cli.md)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/invitedhq/invited/internal/config"
	"github.com/invitedhq/invited/internal/sqlstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if msg := errorLine(err); msg != "" {
		fmt.Fprintln(os.Stderr, "invited:", msg)
	}
	stop()
	os.Exit(exitCode(err))
}

// processCommands are the commands that run on the database or are the
// server: each parses its own flags (config.Parse), so the command tree
// hands them their arguments untouched.
func processCommands() []processCommand {
	return []processCommand{
		{"serve", "Run the HTTP API and background jobs", func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
			return serve(ctx, args, getenv, stdout, stderr, nil)
		}},
		{"migrate", "Apply database migrations and exit", migrate},
		{"signing-keys", "Rotate or list the keys that sign acceptance tickets", signingKeys},
		{"keys", "Deprecated name of signing-keys", deprecatedKeys},
		{"reseal", "Encrypt stored secrets again under the first key of INVITED_ENCRYPTION_KEYS", reseal},
		{"backup", "Write a consistent copy of the SQLite database to a new file while the service runs", backup},
		{"healthcheck", "Exit 0 if the server at --url (default from INVITED_ADDR) is ready", healthcheck},
	}
}

// run is the whole program; main only wires it to the process, so tests can
// call it with their own arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return newCLI(getenv, stdout, stderr).execute(ctx, args)
}

// openDatabase opens, and migrates, the database that the configuration of
// command names, for the commands that work on it and exit.
func openDatabase(ctx context.Context, command string, args []string, getenv func(string) string, stderr io.Writer) (*sqlstore.DB, config.Config, error) {
	return openDatabaseWith(ctx, command, args, getenv, stderr, sqlstore.Options{})
}

// openDatabaseWith is openDatabase with opts, to which the configuration
// adds its logger and encryption keys.
func openDatabaseWith(ctx context.Context, command string, args []string, getenv func(string) string, stderr io.Writer,
	opts sqlstore.Options) (*sqlstore.DB, config.Config, error) {
	cfg, err := config.Parse(command, args, getenv, stderr)
	if err != nil {
		return nil, cfg, err
	}
	opts.Logger, err = newLogger(cfg, stderr)
	if err != nil {
		return nil, cfg, err
	}
	opts.Secrets = cfg.Secrets
	db, err := sqlstore.Open(ctx, cfg.DatabaseURL, opts)
	if err != nil {
		return nil, cfg, fmt.Errorf("%s: %w", command, err)
	}
	return db, cfg, nil
}
