package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// ErrBackupUnsupported is Backup's answer on PostgreSQL, which is backed
// up with its own tools (pg_dump, or a base backup).
var ErrBackupUnsupported = errors.New("sqlstore: backup: only SQLite databases are backed up by the store; back PostgreSQL up with pg_dump")

// Backup writes a consistent copy of the SQLite database, as it was when
// Backup began, to the new file at path, while the service goes on
// reading and writing. The copy is one self-contained file with the
// migrations recorded, which the store opens as it is. Backup refuses a
// path that exists, and leaves no file behind when it fails.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.file == "" {
		return ErrBackupUnsupported
	}
	// Only the service's database has its migrations recorded; anything
	// else is a mistaken database URL, and its copy would be no backup.
	var migrated bool
	if err := db.read.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')`).Scan(&migrated); err != nil {
		return fmt.Errorf("sqlstore: backup: %w", err)
	}
	if !migrated {
		return fmt.Errorf("sqlstore: backup: %s has no migrations recorded: is it the service's database?", db.file)
	}
	// Created here, empty, as VACUUM INTO accepts: the file is ours to
	// remove if the copy fails, and one that exists is never touched.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("sqlstore: backup: %s exists already: give the name of a new file", path)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: backup: %w", err)
	}
	if err := db.vacuumInto(ctx, path, f); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("sqlstore: backup: %w", err)
	}
	return f.Close()
}

// vacuumInto copies the database into path, the empty file f, and makes
// the copy durable: VACUUM INTO does not sync what it writes.
//
// It runs on a connection of its own: the read pool's connections are
// query-only, which VACUUM INTO is refused on, and the writer's would hold
// up every write until the copy is done. Like any reader under WAL, the
// copy reads one snapshot while the writer goes on.
func (db *DB) vacuumInto(ctx context.Context, path string, f *os.File) error {
	conn, err := openSQLitePool(db.file + "?" + url.Values{"_pragma": {sqliteBusyTimeout}}.Encode())
	if err != nil {
		return err
	}
	defer conn.Close()
	// A bound parameter: SQLite takes any expression as the file name.
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	return errors.Join(dir.Sync(), dir.Close())
}
