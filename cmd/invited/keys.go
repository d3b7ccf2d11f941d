package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/invitedhq/invited/internal/sqlstore"
	"github.com/invitedhq/invited/internal/ticket"
)

const signingKeysUsage = `usage: invited signing-keys <command> [flags]

commands:
  rotate   make a new signing key for acceptance tickets and retire the
           current one, which stays published until its tickets have expired
  list     list the signing keys (never their private parts)

The flags are those of 'invited migrate': the database comes from
--database or INVITED_DATABASE_URL. 'invited keys' is the deprecated name
of this command.
`

// deprecatedKeys is signing-keys under its old name, which was too easily
// read as API keys.
func deprecatedKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fmt.Fprintln(stderr, "invited: 'invited keys' is deprecated and will be removed: use 'invited signing-keys' (API keys are 'invited api-keys')")
	return signingKeys(ctx, args, getenv, stdout, stderr)
}

// signingKeys manages the keys that sign acceptance tickets. Servers pick
// up a rotation within ticket.CacheAge, without a restart.
func signingKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, signingKeysUsage)
		return usageErrorf("signing-keys: no command given")
	}
	switch args[0] {
	case "rotate", "list":
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, signingKeysUsage)
		return nil
	default:
		fmt.Fprint(stderr, signingKeysUsage)
		return usageErrorf("signing-keys: unknown command %q", args[0])
	}
	db, cfg, err := openDatabase(ctx, "signing-keys "+args[0], args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "rotate" {
		return rotateKeys(ctx, db, cfg.PublicURL, stdout)
	}
	return listKeys(ctx, db, stdout)
}

// rotateKeys makes a new signing key and says when it takes over and how
// long the key it replaced stays in the JWKS.
func rotateKeys(ctx context.Context, db *sqlstore.DB, publicURL string, stdout io.Writer) error {
	next, err := ticket.New(db, publicURL, nil).Rotate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new signing key %s: it signs acceptance tickets from %s\n", next.ID, rfc3339(ticket.SignsFrom(next)))
	// The keys retired since the new one was made: the one it replaced.
	recent, err := db.SigningKeys(ctx, next.CreatedAt)
	if err != nil {
		return err
	}
	for _, k := range recent {
		if k.RetiredAt != nil {
			fmt.Fprintf(stdout, "retired %s: it stays in the JWKS until %s\n", k.ID, rfc3339(ticket.PublishedUntil(k)))
		}
	}
	return nil
}

// listKeys lists every signing key, the active one first. A SigningKey
// carries its private key: only the columns below are printed.
func listKeys(ctx context.Context, db *sqlstore.DB, stdout io.Writer) error {
	all, err := db.SigningKeys(ctx, time.Time{})
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "KID\tCREATED\tRETIRED\tPUBLISHED UNTIL")
	for _, k := range all {
		retired, until := "-", "active"
		if k.RetiredAt != nil {
			retired, until = rfc3339(*k.RetiredAt), rfc3339(ticket.PublishedUntil(k))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", k.ID, rfc3339(k.CreatedAt), retired, until)
	}
	return w.Flush()
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
