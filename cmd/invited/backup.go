package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/invitedhq/invited/internal/sqlstore"
)

const backupUsage = `usage: invited backup [flags] FILE

Writes a consistent copy of the SQLite database to FILE, a new file, while
the service goes on serving. The copy is what invited serve opens as it is;
it holds no encryption key. A PostgreSQL database is backed up with
pg_dump instead (docs/deployment.md#backups).

The flags are those of 'invited migrate': the database comes from
--database or INVITED_DATABASE_URL.
`

// backup copies the database to the file its last argument names. It
// leaves the schema as it is: a backup taken before an upgrade must hold
// the schema before it.
func backup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	n := len(args)
	switch {
	case n == 1 && slices.Contains([]string{"-h", "-help", "--help"}, args[0]):
		fmt.Fprint(stdout, backupUsage)
		return nil
	case n == 0 || strings.HasPrefix(args[n-1], "-"):
		fmt.Fprint(stderr, backupUsage)
		return usageErrorf("backup: no file given")
	}
	file := args[n-1]
	db, cfg, err := openDatabaseWith(ctx, "backup", args[:n-1], getenv, stderr, sqlstore.Options{SkipMigrate: true, MustExist: true})
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	err = db.Backup(ctx, file)
	if errors.Is(err, sqlstore.ErrBackupUnsupported) {
		return errors.New("backup: a PostgreSQL database is backed up with pg_dump, not invited backup: see docs/deployment.md#backups")
	}
	if err != nil {
		return err
	}
	took := time.Since(start)
	fi, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s, a copy of %s: %d bytes in %s\n", file, cfg.DatabaseURL, fi.Size(), took.Round(time.Millisecond))
	return nil
}
