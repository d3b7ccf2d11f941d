package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited/internal/sqlstore"
	"github.com/invitedhq/invited/internal/ticket"
)

var kidPattern = regexp.MustCompile(`sig_[0-9a-z]{26}`)

// TestKeys starts a server, which makes the first key, rotates twice,
// lists the three keys, and reads them from the running server's JWKS.
func TestKeys(t *testing.T) {
	ctx := context.Background()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "invited.db")
	invited := func(args ...string) string {
		t.Helper()
		out, err := runInvited(dbURL, args...)
		if err != nil {
			t.Fatalf("invited %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	srv := startServe(t, map[string]string{"INVITED_DATABASE_URL": dbURL})

	// kids are the keys oldest first; each rotation names the new key and
	// the one it retired.
	var kids []string
	for i := range 2 {
		out := invited("signing-keys", "rotate")
		found := kidPattern.FindAllString(out, -1)
		if len(found) != 2 || !strings.Contains(out, "signs acceptance tickets from") || !strings.Contains(out, "stays in the JWKS until") {
			t.Fatalf("rotation %d printed:\n%s", i, out)
		}
		if i == 0 {
			kids = append(kids, found[1]) // the server's first key
		} else if found[1] != kids[i] {
			t.Errorf("rotation %d retired %s, want %s", i, found[1], kids[i])
		}
		kids = append(kids, found[0])
	}
	newestFirst := []string{kids[2], kids[1], kids[0]}

	t.Run("list", func(t *testing.T) {
		out := invited("signing-keys", "list")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "KID") {
			t.Fatalf("keys list:\n%s", out)
		}
		var listed []string
		for _, line := range lines[1:] {
			f := strings.Fields(line)
			if len(f) != 4 {
				t.Fatalf("row %q", line)
			}
			listed = append(listed, f[0])
			if f[2] == "-" {
				if f[3] != "active" {
					t.Errorf("active key %s published until %q", f[0], f[3])
				}
				continue
			}
			retired, err1 := time.Parse(time.RFC3339, f[2])
			until, err2 := time.Parse(time.RFC3339, f[3])
			if err1 != nil || err2 != nil || until.Sub(retired) != ticket.PublicationWindow {
				t.Errorf("key %s retired %s, published until %s: want %s later", f[0], f[2], f[3], ticket.PublicationWindow)
			}
		}
		if !slices.Equal(listed, newestFirst) {
			t.Errorf("listed %v, want the active key, then the newest first: %v", listed, newestFirst)
		}
		// Never a private key, in any encoding.
		db, err := sqlstore.Open(ctx, dbURL, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		stored, err := db.SigningKeys(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range stored {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
				if strings.Contains(out, enc.EncodeToString(k.PrivateKey)[:40]) {
					t.Errorf("keys list shows the private key of %s", k.ID)
				}
			}
		}
	})

	t.Run("served", func(t *testing.T) {
		// The server has not signed or published anything yet, so it
		// loads its keys now; a server that had would see a rotation
		// within ticket.CacheAge.
		set, err := newClient(t, srv.URL).GetJWKS(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var served []string
		for _, k := range set.Keys {
			served = append(served, k.Kid)
		}
		if !slices.Equal(served, newestFirst) {
			t.Errorf("JWKS %v, want %v", served, newestFirst)
		}
	})
}

// runInvited runs the program with args on the database dbURL and returns
// its standard output; an error carries its standard error.
func runInvited(dbURL string, args ...string) (string, error) {
	return runInvitedEnv(map[string]string{"INVITED_DATABASE_URL": dbURL}, args...)
}

// runInvitedEnv is runInvited with the environment env.
func runInvitedEnv(env map[string]string, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return env[k] }
	if err := run(context.Background(), args, getenv, &out, &errOut); err != nil {
		return out.String(), fmt.Errorf("%w\n%s", err, errOut.String())
	}
	return out.String(), nil
}

// TestKeysCommands runs signing-keys, and keys, its deprecated name, which
// says so on standard error.
func TestKeysCommands(t *testing.T) {
	env := map[string]string{"INVITED_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "invited.db")}
	const deprecated = "'invited keys' is deprecated"
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{args: []string{"signing-keys"}, code: exitUsage},
		{args: []string{"signing-keys", "bogus"}, code: exitUsage},
		{args: []string{"signing-keys", "list", "extra"}, code: exitFailure},
		{args: []string{"signing-keys", "help"}, stdout: "invited signing-keys <command>"},
		{args: []string{"signing-keys", "list"}, stdout: "KID"},
		{args: []string{"keys", "list"}, stdout: "KID", stderr: deprecated},
		{args: []string{"keys", "bogus"}, code: exitUsage, stderr: deprecated},
		{args: []string{"help"}, stdout: "signing-keys"},
	}
	for _, tt := range tests {
		r := invitedCLI(env, tt.args...)
		if r.code() != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("invited %s: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				strings.Join(tt.args, " "), r.code(), r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
		}
		if !strings.Contains(tt.stderr, deprecated) && strings.Contains(r.stderr, deprecated) {
			t.Errorf("invited %s: says %q", strings.Join(tt.args, " "), deprecated)
		}
	}
}
