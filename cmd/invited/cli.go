package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// processCommand is a command that parses its own arguments.
type processCommand struct {
	name, short string
	run         func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
}

// cli is the command tree and what its commands share: the process's
// environment and output, and the flags every API command takes.
type cli struct {
	getenv         func(string) string
	stdout, stderr io.Writer

	url        string        // --url, else INVITED_URL
	apiKeyFile string        // --api-key-file, else INVITED_API_KEY, else INVITED_API_KEY_FILE
	output     string        // --output: table or json
	timeout    time.Duration // --timeout: of each request

	started bool // a command's RunE was reached: its error is not cobra's
}

func newCLI(getenv func(string) string, stdout, stderr io.Writer) *cli {
	return &cli{getenv: getenv, stdout: stdout, stderr: stderr}
}

// defaultURL is where the API commands find the service without --url or
// INVITED_URL: the default address of `invited serve`.
const defaultURL = "http://localhost:8080"

// execute runs the command args name.
func (c *cli) execute(ctx context.Context, args []string) error {
	root := c.root()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !c.started {
		return usageError{err}
	}
	return err
}

func (c *cli) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "invited",
		Short: "The invitation and membership service, and the client of its API",
		Long: `invited is the invitation and membership service (invited serve), and the
command-line client of its API for operators (see docs/cli.md).

The API commands find the service at --url or INVITED_URL (default ` + defaultURL + `)
and authenticate with the API key in INVITED_API_KEY, or in the file named by
--api-key-file or INVITED_API_KEY_FILE.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(c.stderr)
			cmd.Usage()
			return usageErrorf("no command given")
		},
	}
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	flags := root.PersistentFlags()
	flags.StringVar(&c.url, "url", "", "base URL of the service (default $INVITED_URL, else "+defaultURL+")")
	flags.StringVar(&c.apiKeyFile, "api-key-file", "", "file holding the API key (default $INVITED_API_KEY, else the file $INVITED_API_KEY_FILE)")
	flags.StringVarP(&c.output, "output", "o", "table", "output format: table or json")
	flags.DurationVar(&c.timeout, "timeout", time.Minute, "give up on a request the service has not answered in this long")

	for _, pc := range processCommands() {
		root.AddCommand(&cobra.Command{
			Use:                pc.name,
			Short:              pc.short,
			DisableFlagParsing: true,
			Hidden:             pc.name == "keys",
			RunE: func(cmd *cobra.Command, args []string) error {
				return pc.run(cmd.Context(), args, c.getenv, c.stdout, c.stderr)
			},
		})
	}
	root.AddCommand(
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			Run: func(*cobra.Command, []string) {
				fmt.Fprintln(c.stdout, strings.TrimSpace("invited "+invited.Version+" "+invited.Commit)) // Commit is empty in go run and go build
			},
		},
		c.orgsCommand(),
		c.inviteCommand(),
		c.invitationsCommand(),
		c.joinLinksCommand(),
		c.joinRequestsCommand(),
		c.domainsCommand(),
		c.membersCommand(),
		c.rolesCommand(),
		c.apiKeysCommand(),
		c.webhooksCommand(),
	)
	c.markStarts(root)
	return root
}

// markStarts makes cmd and the commands under it note when they start
// running: an error before then, cobra's, is about the command line.
func (c *cli) markStarts(cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			c.started = true
			return run(cmd, args)
		}
	}
	for _, sub := range cmd.Commands() {
		c.markStarts(sub)
	}
}

// client returns a client of the service the flags and environment name,
// with the API key.
func (c *cli) client() (*client.Client, error) {
	api, err := c.anonymous()
	if err != nil {
		return nil, err
	}
	key, err := c.apiKey()
	if err != nil {
		return nil, err
	}
	return api.With(client.WithAPIKey(key)), nil
}

// anonymous returns a client of the service without credentials, for the
// public operations.
func (c *cli) anonymous() (*client.Client, error) {
	if c.output != "table" && c.output != "json" {
		return nil, usageErrorf("--output must be table or json, not %q", c.output)
	}
	base := c.url
	if base == "" {
		base = c.getenv("INVITED_URL")
	}
	if base == "" {
		base = defaultURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("the service URL %q is not an http:// or https:// URL (--url or INVITED_URL)", base)
	}
	if c.timeout <= 0 {
		return nil, usageErrorf("--timeout must be positive, not %s", c.timeout)
	}
	return client.New(base, client.WithHTTPClient(&http.Client{Timeout: c.timeout}),
		client.WithUserAgent("invited-cli/"+invited.Version)), nil
}

// apiKey reads the API key: from --api-key-file, INVITED_API_KEY or
// INVITED_API_KEY_FILE, in that order. There is no flag for the key
// itself: flags end up in shell history and process listings.
func (c *cli) apiKey() (string, error) {
	file := c.apiKeyFile
	if file == "" {
		if key := c.getenv("INVITED_API_KEY"); key != "" {
			return key, nil
		}
		file = c.getenv("INVITED_API_KEY_FILE")
	}
	if file == "" {
		return "", errNoAPIKey
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("reading the API key: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", fmt.Errorf("the API key file %s is empty", file)
	}
	return key, nil
}

// column is one column of a table of T.
type column[T any] struct {
	name  string
	value func(T) string
}

// embedded turns the columns of T into those of a type that embeds it.
func embedded[T, E any](cols []column[T], inner func(E) T) []column[E] {
	out := make([]column[E], len(cols))
	for i, col := range cols {
		out[i] = column[E]{col.name, func(e E) string { return col.value(inner(e)) }}
	}
	return out
}

// show writes items: as a JSON array with --output json, else as a table
// with a header row, for people.
func show[T any](c *cli, items []T, columns []column[T]) error {
	if c.output == "json" {
		if items == nil {
			items = []T{}
		}
		return writeJSON(c.stdout, items)
	}
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	for i, col := range columns {
		fmt.Fprint(w, sep(i), col.name)
	}
	fmt.Fprintln(w)
	for _, item := range items {
		for i, col := range columns {
			fmt.Fprint(w, sep(i), orDash(col.value(item)))
		}
		fmt.Fprintln(w)
	}
	return w.Flush()
}

// showOne writes one item: as a JSON object with --output json, else as a
// table of one row.
func showOne[T any](c *cli, item T, columns []column[T]) error {
	if c.output == "json" {
		return writeJSON(c.stdout, item)
	}
	return show(c, []T{item}, columns)
}

func rfc3339OrEmpty(t *time.Time) string {
	if t == nil {
		return ""
	}
	return rfc3339(*t)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func sep(i int) string {
	if i == 0 {
		return ""
	}
	return "\t"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// collect gathers every item of a list.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var all []T
	for item, err := range seq {
		if err != nil {
			return nil, err
		}
		all = append(all, item)
	}
	return all, nil
}

// The exit codes of the program (docs/cli.md#exit-codes).
const (
	exitOK          = 0
	exitFailure     = 1 // any other error, the API's included
	exitUsage       = 2 // the command line is wrong
	exitAuth        = 3 // no API key, or one the service refuses (unauthenticated, forbidden)
	exitUnreachable = 4 // the service could not be reached
	exitRateLimited = 5 // the service said rate_limited, and still did after retries
	exitRowsFailed  = 6 // invite --csv: some rows failed, the others are done
)

// usageError is a command line the program cannot run.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

var errNoAPIKey = errors.New("no API key: set INVITED_API_KEY, or INVITED_API_KEY_FILE or --api-key-file naming a file that holds it")

// exitCode is the exit status for what run returned.
func exitCode(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if _, ok := errors.AsType[usageError](err); ok {
		return exitUsage
	}
	if _, ok := errors.AsType[rowsFailedError](err); ok {
		return exitRowsFailed
	}
	if errors.Is(err, errNoAPIKey) {
		return exitAuth
	}
	if e, ok := errors.AsType[*client.Error](err); ok {
		switch e.Code {
		case invited.EUNAUTHENTICATED, invited.EFORBIDDEN:
			return exitAuth
		case invited.ERATELIMITED:
			return exitRateLimited
		}
	}
	if e, ok := errors.AsType[*url.Error](err); unreachable(err) || ok && e.Timeout() {
		return exitUnreachable
	}
	return exitFailure
}

// errorLine is what the program says about err on standard error, or ""
// for nothing: help was asked for, or the error was reported already.
func errorLine(err error) string {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return ""
	}
	code, msg := describe(err)
	if code == "" {
		return msg
	}
	return code + ": " + msg
}

// describe returns the service's error code and message of err, or no
// code and what else went wrong.
func describe(err error) (code, message string) {
	if e, ok := errors.AsType[*client.Error](err); ok {
		return e.Code, detailText(e.ErrorDetail)
	}
	if e, ok := errors.AsType[*url.Error](err); ok && e.Timeout() {
		return "", "the service did not answer in time (--timeout)"
	}
	if unreachable(err) {
		// The transport's error, without the client's prefix.
		if e, ok := errors.AsType[*url.Error](err); ok {
			err = e
		}
		return "", "cannot reach the service: " + err.Error()
	}
	// main says "invited: " already; the client's errors start with it too.
	return "", strings.TrimPrefix(err.Error(), "invited: ")
}

// detailText is the service's message with the fields it blames, if any.
func detailText(d client.ErrorDetail) string {
	if len(d.Fields) == 0 {
		return d.Message
	}
	fields := make([]string, 0, len(d.Fields))
	for _, name := range slices.Sorted(maps.Keys(d.Fields)) {
		fields = append(fields, name+": "+d.Fields[name])
	}
	return d.Message + " (" + strings.Join(fields, "; ") + ")"
}

// unreachable reports whether err is the network's: no connection, no
// such host.
func unreachable(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) || errors.As(err, &dns)
}

// apiCommand is a command that takes nargs arguments, makes one call of
// the API with the key, and writes its answer.
func apiCommand[T any](c *cli, use, short string, nargs int,
	call func(cmd *cobra.Command, api *client.Client, args []string) (T, error), write func(T) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(nargs),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			v, err := call(cmd, api, args)
			if err != nil {
				return err
			}
			return write(v)
		},
	}
}

// getCommand is an apiCommand answering one item.
func getCommand[T any](c *cli, use, short string, nargs int,
	get func(cmd *cobra.Command, api *client.Client, args []string) (T, error), columns []column[T]) *cobra.Command {
	return apiCommand(c, use, short, nargs, get, func(v T) error { return showOne(c, v, columns) })
}

// listCommand is an apiCommand answering every item of a list.
func listCommand[T any](c *cli, use, short string, nargs int,
	list func(cmd *cobra.Command, api *client.Client, args []string) iter.Seq2[T, error], columns []column[T]) *cobra.Command {
	return apiCommand(c, use, short, nargs,
		func(cmd *cobra.Command, api *client.Client, args []string) ([]T, error) {
			return collect(list(cmd, api, args))
		},
		func(items []T) error { return show(c, items, columns) })
}

// fresh returns ctx with a new Idempotency-Key, for a create: the service
// answers a retry of it with the first answer, so the client may retry it
// after a 429 or 503 as it does a GET.
func fresh(ctx context.Context) context.Context {
	return client.WithIdempotencyKey(ctx, rand.Text())
}

// doCommand is an apiCommand that answers nothing: it says what it did,
// the message act returns.
func doCommand(c *cli, use, short string, nargs int, act func(cmd *cobra.Command, api *client.Client, args []string) (string, error)) *cobra.Command {
	return apiCommand(c, use, short, nargs, act, c.done)
}

// done reports an action that answers nothing: a line for people, or
// {"done": …} with --output json.
func (c *cli) done(msg string) error {
	if c.output == "json" {
		return writeJSON(c.stdout, map[string]string{"done": msg})
	}
	_, err := fmt.Fprintln(c.stdout, msg)
	return err
}
