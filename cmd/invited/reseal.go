package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/invitedhq/invited/internal/sqlstore"
)

// reseal seals every value encrypted with INVITED_ENCRYPTION_KEYS again
// under the first key, so that the keys after it can be removed
// (docs/deployment.md#encryption-keys). Servers may run meanwhile: what
// they change while it runs is theirs. It fails when a value opens under
// none of the keys, after resealing the rest.
func reseal(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	db, _, err := openDatabase(ctx, "reseal", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := db.Reseal(ctx)
	if err != nil {
		return err
	}
	printReseal(stdout, r)
	if n := len(r.Unopened); n > 0 {
		return fmt.Errorf("reseal: %d values open under none of the keys", n)
	}
	return nil
}

// printReseal tells the operator what Reseal did, and whether the keys
// other than the sealing one may go. It names values, never shows them.
func printReseal(w io.Writer, r *sqlstore.ResealReport) {
	for _, v := range r.Unopened {
		key := v.Key
		if key == "" {
			key = "no key"
		}
		fmt.Fprintf(w, "cannot open %s of %s, sealed under %s: left as it is\n", v.Column, v.ID, key)
	}
	var resealed, current, changed int
	var columns []string
	for _, c := range r.Columns {
		resealed, current, changed = resealed+c.Resealed, current+c.Current, changed+c.Changed
		columns = append(columns, fmt.Sprintf("%s %d", c.Column, c.Resealed))
	}
	fmt.Fprintf(w, "resealed %d values under %s (%s); %d were under it already\n",
		resealed, r.Key, strings.Join(columns, ", "), current)
	switch {
	case len(r.Unopened) > 0:
		fmt.Fprintf(w, "%d left under other keys, listed above: remove no key yet "+
			"(docs/deployment.md#encryption-keys says what to do)\n", len(r.Unopened))
	case changed > 0:
		fmt.Fprintf(w, "%d changed while being resealed and were left to the service: run invited reseal again "+
			"before removing a key\n", changed)
	default:
		fmt.Fprintf(w, "0 left under other keys: keys other than %s may now be removed\n", r.Key)
	}
}
