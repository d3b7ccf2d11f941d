package pgtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

// TestClusterLifecycle starts a cluster, makes a database, stops and
// restarts it, and checks each step with the psql client.
func TestClusterLifecycle(t *testing.T) {
	c := Start(t, Options{})
	psql := func(dbURL, sql string) (string, error) {
		out, err := exec.Command(filepath.Join(c.bin, "psql"), "-X", "-A", "-t", "-c", sql, dbURL).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	db := c.NewDatabase(t)
	if out, err := psql(db, "SELECT current_database()"); err != nil || !strings.HasPrefix(out, "invited_test_") {
		t.Fatalf("new database: %q %v", out, err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := psql(db, "SELECT 1"); err == nil {
		t.Fatal("a stopped cluster answered")
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if out, err := psql(db, "SELECT 1"); err != nil || out != "1" {
		t.Fatalf("after restart: %q %v", out, err)
	}
}

func TestSharedIsShared(t *testing.T) {
	a, b := Shared(t), Shared(t)
	if a != b || a.URL == "" {
		t.Fatal("Shared must return one cluster")
	}
	if first, second := a.NewDatabase(t), a.NewDatabase(t); first == second {
		t.Fatal("databases must be distinct")
	}
}
