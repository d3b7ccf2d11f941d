// Command invited-load is the project's HTTP load generator. It sets up
// what a scenario needs through the API (an organization, invitations),
// then runs -c concurrent workers against one or more invited instances
// for -d or -n requests, whichever comes first, and reports throughput,
// latency percentiles and non-2xx answers. It only ever talks to loopback
// addresses.
//
//	invited-load -url http://127.0.0.1:8080 -key $KEY -scenario create -c 16 -d 10s
//	invited-load -scenario lookup -urls http://127.0.0.1:8080,http://127.0.0.1:8081 -key $KEY
//	invited-load -serve-hello :8090                        # a bare net/http hello world, until Ctrl-C
//	invited-load -scenario hello -url http://127.0.0.1:8090   # measure it with the same client
//
// Scenarios:
//
//	create  POST /v1/orgs/{org}/invitations, one new invitee per request
//	lookup  GET /v1/invitation-tokens/{token}, round-robin over -tokens pre-created invitations
//	accept  POST /v1/invitation-tokens/{token}/accept with the admin key, each of
//	        -n pre-created invitations (default 20000) accepted once; creation is not timed
//	batch   POST /v1/orgs/{org}/invitations/batch, 1,000 new invitees per request
//	hello   GET the URL as given (no setup, no key): the baseline
//	sqlite-insert  no HTTP: one-row durable transactions on a fresh SQLite file
//	        (-db), opened as the store opens its writer: the ceiling of
//	        create and accept on SQLite
//	gotrue-invite  Supabase Auth (GoTrue) POST /invite, one new invitee per request,
//	        with a service-role token minted from -gotrue-jwt-secret
//	gotrue-verify  GoTrue POST /verify type invite, each of -n pre-created
//	        invitations (default 20000) verified once; creation is not timed
//
// -orgs spreads the invitations over several organizations (default one):
// on PostgreSQL, accepts into one organization take turns on its row lock.
// -addrs makes the lookups come from many client addresses
// (X-Forwarded-For), each with a rate-limit bucket of its own.
package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	// maxRequests bounds every run, whatever -n and -d say.
	maxRequests = 10_000_000
	// defaultAccepts is the number of invitations prepared for the accept
	// scenario when -n is not given: more than a 10 s run at 16 connections
	// accepts on the development machine.
	defaultAccepts = 20_000
	batchSize      = 1000 // invited.MaxBatchSize
)

type config struct {
	urls     []string
	key      string
	scenario string
	conns    int
	duration time.Duration
	max      int
	tokens   int
	orgs     int
	// addrs, when positive, makes request i of lookup come from client
	// address i%addrs (X-Forwarded-For), each its own rate-limit bucket.
	addrs      int
	serveHello string
	db         string
	// gotrueSecret is GoTrue's GOTRUE_JWT_SECRET, to mint the gotrue-*
	// scenarios' bearer with.
	gotrueSecret string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "invited-load:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("invited-load", flag.ContinueOnError)
	var cfg config
	one := fs.String("url", "http://127.0.0.1:8080", "base URL of the service (for hello: the URL to GET)")
	many := fs.String("urls", "", "comma-separated base URLs to spread the load over (overrides -url; setup uses the first)")
	fs.StringVar(&cfg.key, "key", os.Getenv("INVITED_ADMIN_API_KEY"), "admin API key (default $INVITED_ADMIN_API_KEY)")
	fs.StringVar(&cfg.scenario, "scenario", "lookup", "create, batch, lookup, accept, hello, sqlite-insert, gotrue-invite or gotrue-verify")
	fs.StringVar(&cfg.db, "db", "", "sqlite-insert: the SQLite file to create and insert into (must not exist)")
	fs.IntVar(&cfg.conns, "c", 16, "concurrent connections (workers)")
	fs.DurationVar(&cfg.duration, "d", 10*time.Second, "run time")
	fs.StringVar(&cfg.gotrueSecret, "gotrue-jwt-secret", os.Getenv("GOTRUE_JWT_SECRET"), "gotrue-*: GoTrue's JWT secret (default $GOTRUE_JWT_SECRET)")
	fs.IntVar(&cfg.max, "n", 0, fmt.Sprintf("at most this many requests (0: %d, or %d for accept and gotrue-verify)", maxRequests, defaultAccepts))
	fs.IntVar(&cfg.tokens, "tokens", 1000, "lookup: invitations to pre-create and look up round-robin")
	fs.IntVar(&cfg.addrs, "addrs", 0, "lookup: send request i as from client address i%addrs in X-Forwarded-For, so that each has a rate-limit bucket of its own "+
		"(the server must trust the load tool: INVITED_TRUSTED_PROXIES=127.0.0.1); 0 sends none")
	fs.IntVar(&cfg.orgs, "orgs", 1, "create, batch, lookup, accept: spread the invitations round-robin over this many organizations")
	fs.StringVar(&cfg.serveHello, "serve-hello", "", "serve a bare net/http hello world on this loopback address (:8090 means 127.0.0.1:8090); "+
		"without -scenario hello, serve until interrupted")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	scenarioSet := false
	fs.Visit(func(f *flag.Flag) { scenarioSet = scenarioSet || f.Name == "scenario" })

	if cfg.serveHello != "" {
		ln, err := listenLoopback(cfg.serveHello)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(hello)}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		helloURL := "http://" + ln.Addr().String() + "/"
		if !scenarioSet {
			fmt.Fprintf(out, "serving hello world on %s until interrupted\n", helloURL)
			<-ctx.Done()
			return nil
		}
		if cfg.scenario != "hello" {
			return errors.New("-serve-hello runs only with -scenario hello (or alone)")
		}
		*one, *many = helloURL, ""
	}

	cfg.urls = []string{*one}
	if *many != "" {
		cfg.urls = strings.Split(*many, ",")
	}
	for i, u := range cfg.urls {
		clean, err := checkURL(u)
		if err != nil {
			return err
		}
		cfg.urls[i] = clean
	}
	if cfg.conns < 1 || cfg.conns > 1024 {
		return errors.New("-c must be 1 to 1024")
	}
	if cfg.duration <= 0 || cfg.duration > time.Hour {
		return errors.New("-d must be positive and at most 1h")
	}
	if cfg.orgs < 1 || cfg.orgs > 1000 {
		return errors.New("-orgs must be 1 to 1000")
	}
	if cfg.max < 0 || cfg.max > maxRequests {
		return fmt.Errorf("-n must be 0 to %d", maxRequests)
	}
	if cfg.max == 0 {
		cfg.max = maxRequests
		if cfg.scenario == "accept" || cfg.scenario == "gotrue-verify" {
			cfg.max = defaultAccepts
		}
	}
	if strings.HasPrefix(cfg.scenario, "gotrue-") {
		if cfg.gotrueSecret == "" {
			return errors.New("-gotrue-jwt-secret (or $GOTRUE_JWT_SECRET) is required for " + cfg.scenario)
		}
		cfg.key = serviceRoleJWT(cfg.gotrueSecret, time.Now()) // -key is invited's, not GoTrue's
	}

	if cfg.scenario == "sqlite-insert" {
		res, err := insertCeiling(ctx, cfg)
		if err != nil {
			return err
		}
		cfg.urls = []string{cfg.db}
		res.print(out, cfg)
		return nil
	}

	client := newClient(cfg.conns)
	s, err := setup(ctx, client, cfg)
	if err != nil {
		return err
	}
	res := load(ctx, client, cfg, s)
	res.print(out, cfg)
	return nil
}

// hello is the baseline handler: as little as net/http allows.
func hello(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "Hello, World!\n")
}

// checkURL accepts only http(s) URLs whose host is a loopback IP literal,
// so that load can never leave the machine (not even through a name that
// resolves elsewhere). It returns the URL without a trailing slash.
func checkURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q: only http and https URLs", raw)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("%q: refusing a non-loopback host; use 127.0.0.1", raw)
	}
	if u.User != nil {
		return "", fmt.Errorf("%q: no credentials in the URL; use -key", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// listenLoopback listens on addr, which must be a loopback address or a
// bare :port (then 127.0.0.1:port).
func listenLoopback(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("-serve-hello %q: only loopback addresses", addr)
	}
	return net.Listen("tcp", net.JoinHostPort(host, port))
}

// newClient pools one connection per worker and re-checks, at dial time,
// that every address is loopback; it never follows redirects.
func newClient(conns int) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("refusing to dial %s: not loopback", addr)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// state is what setup prepared for the timed requests.
type state struct {
	run    string   // random id of this run, for unique names
	orgs   []string // org_…; invitation i goes to orgs[i%len(orgs)]
	tokens []string // lookup, accept: the token of invitation i
}

// setup prepares a scenario through the API; none of it is timed.
func setup(ctx context.Context, c *http.Client, cfg config) (*state, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	s := &state{run: hex.EncodeToString(b[:])}
	switch cfg.scenario {
	case "hello":
		return s, nil
	case "gotrue-invite", "gotrue-verify":
		return s, s.setupGoTrue(ctx, c, cfg)
	case "create", "batch", "lookup", "accept":
	default:
		return nil, fmt.Errorf("unknown scenario %q", cfg.scenario)
	}
	if cfg.key == "" {
		return nil, errors.New("-key (an admin API key) is required for " + cfg.scenario)
	}
	api := &apiClient{c: c, base: cfg.urls[0], key: cfg.key}
	for k := range cfg.orgs {
		var org struct{ ID string }
		if err := api.do(ctx, "POST", "/v1/orgs", map[string]string{"name": fmt.Sprintf("load %s %d", s.run, k)}, &org); err != nil {
			return nil, fmt.Errorf("create organization: %w", err)
		}
		s.orgs = append(s.orgs, org.ID)
	}
	switch cfg.scenario {
	case "lookup":
		if cfg.tokens < 1 || cfg.tokens > 100_000 {
			return nil, errors.New("-tokens must be 1 to 100000")
		}
		return s, s.invite(ctx, api, cfg.tokens)
	case "accept":
		return s, s.invite(ctx, api, cfg.max)
	}
	return s, nil
}

// invite creates invitations 0..n-1 (invitation i to s.email(i) in
// s.org(i)) through the batch API and keeps their tokens.
func (s *state) invite(ctx context.Context, api *apiClient, n int) error {
	s.tokens = make([]string, n)
	// Each round fills batchSize invitations of every organization.
	for i0 := 0; i0 < n; i0 += batchSize * len(s.orgs) {
		for k := range s.orgs {
			if err := s.inviteBatch(ctx, api, i0+k, min(n, i0+batchSize*len(s.orgs))); err != nil {
				return err
			}
		}
	}
	return nil
}

// inviteBatch creates invitations first, first+len(s.orgs), … below end,
// which all belong to one organization, in one batch.
func (s *state) inviteBatch(ctx context.Context, api *apiClient, first, end int) error {
	var req batch
	var at []int
	for i := first; i < end; i += len(s.orgs) {
		req.add(s.email(i))
		at = append(at, i)
	}
	if len(at) == 0 {
		return nil
	}
	var resp struct {
		Results []struct {
			URL   string
			Error *struct{ Code, Message string }
		}
	}
	if err := api.do(ctx, "POST", "/v1/orgs/"+s.org(first)+"/invitations/batch", req, &resp); err != nil {
		return fmt.Errorf("create invitations: %w", err)
	}
	if len(resp.Results) != len(at) {
		return fmt.Errorf("create invitations: %d results for %d", len(resp.Results), len(at))
	}
	for j, r := range resp.Results {
		if r.Error != nil {
			return fmt.Errorf("create invitation: %s: %s", r.Error.Code, r.Error.Message)
		}
		tok, err := url.PathUnescape(path.Base(r.URL))
		if err != nil || r.URL == "" {
			return fmt.Errorf("create invitation: no token in url %q", r.URL)
		}
		s.tokens[at[j]] = tok
	}
	return nil
}

// batch is the body of a batch create.
type batch struct {
	Invitations []batchItem `json:"invitations"`
}

type batchItem struct {
	Email string   `json:"email"`
	Roles []string `json:"roles"`
}

// add invites email as a member.
func (b *batch) add(email string) {
	b.Invitations = append(b.Invitations, batchItem{Email: email, Roles: []string{"member"}})
}

func (s *state) org(i int) string { return s.orgs[i%len(s.orgs)] }

func (s *state) email(i int) string { return fmt.Sprintf("load-%s-%d@example.com", s.run, i) }

// request builds the i-th timed request against base (hello: the URL as
// given). ok is false when the scenario has nothing left to do (accept ran
// out of invitations).
func (s *state) request(ctx context.Context, cfg config, base string, i int) (req *http.Request, ok bool) {
	var (
		method, target = "GET", base
		body           []byte
	)
	switch cfg.scenario {
	case "create":
		method, target = "POST", base+"/v1/orgs/"+s.org(i)+"/invitations"
		body = fmt.Appendf(nil, `{"email":%q,"roles":["member"]}`, "new-"+s.email(i))
	case "batch":
		method, target = "POST", base+"/v1/orgs/"+s.org(i)+"/invitations/batch"
		var b batch
		for j := range batchSize {
			b.add(fmt.Sprintf("batch%d-", j) + s.email(i))
		}
		body, _ = json.Marshal(b) // strings only: cannot fail
	case "lookup":
		target = base + "/v1/invitation-tokens/" + s.tokens[i%len(s.tokens)]
	case "accept":
		if i >= len(s.tokens) {
			return nil, false
		}
		method, target = "POST", base+"/v1/invitation-tokens/"+s.tokens[i]+"/accept"
		body = fmt.Appendf(nil, `{"user":{"external_id":"load-%s-%d","email":%q}}`, s.run, i, s.email(i))
	case "gotrue-invite", "gotrue-verify":
		if method, target, body, ok = s.gotrueRequest(cfg, base, i); !ok {
			return nil, false
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		panic(err) // the URL was checked; cannot happen
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cfg.scenario == "lookup" && cfg.addrs > 0 {
		a := uint32(i % cfg.addrs)
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", byte(a>>16), byte(a>>8), byte(a)))
	}
	if cfg.scenario != "hello" && cfg.scenario != "lookup" && cfg.scenario != "gotrue-verify" {
		req.Header.Set("Authorization", "Bearer "+cfg.key)
	}
	return req, true
}

// result is what a run measured.
type result struct {
	elapsed   time.Duration
	latencies []time.Duration // of every answered request
	status    map[int]int     // answers by status code
	netErrs   int             // requests without an answer
	firstErr  string          // the first transport error or non-2xx body, for the report
	exhausted bool            // the scenario ran out of work before -d
}

// load runs the scenario's requests through timeCalls.
func load(ctx context.Context, c *http.Client, cfg config, s *state) *result {
	return timeCalls(ctx, cfg, func(ctx context.Context, worker, i int) (int, error) {
		req, ok := s.request(ctx, cfg, cfg.urls[worker%len(cfg.urls)], i)
		if !ok {
			return 0, errNoWork
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var problem error
		if resp.StatusCode/100 != 2 {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			problem = fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, bytes.TrimSpace(b))
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil && ctx.Err() != nil {
			return 0, err // cut off by the deadline while reading
		}
		return resp.StatusCode, problem
	})
}

// errNoWork tells timeCalls that a scenario has no work left for it.
var errNoWork = errors.New("no work left")

// timeCalls runs cfg.conns workers, each calling do (with its number and
// the call's) until cfg.duration has passed or cfg.max calls have started,
// whichever comes first, and times every call that got an answer. do
// returns the answer's status, with an error describing it when it is not
// a success; no status and an error when it got no answer; errNoWork when
// the scenario ran out of work. A call cut off by the deadline is not an
// error.
func timeCalls(ctx context.Context, cfg config, do func(ctx context.Context, worker, i int) (int, error)) *result {
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var (
		next      atomic.Int64
		exhausted atomic.Bool
		mu        sync.Mutex
		wg        sync.WaitGroup
		res       = &result{status: map[int]int{}}
	)
	start := time.Now()
	for w := range cfg.conns {
		wg.Go(func() {
			var lat []time.Duration
			status := map[int]int{}
			netErrs, firstErr := 0, ""
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= cfg.max {
					break
				}
				t0 := time.Now()
				code, err := do(ctx, w, i)
				switch {
				case errors.Is(err, errNoWork):
					exhausted.Store(true)
				case code == 0 && ctx.Err() != nil:
					// cut off by the deadline: not an error
				case code == 0:
					netErrs++
					firstErr = cmp.Or(firstErr, err.Error())
					continue
				default:
					if err != nil {
						firstErr = cmp.Or(firstErr, err.Error())
					}
					lat = append(lat, time.Since(t0))
					status[code]++
					continue
				}
				break
			}
			mu.Lock()
			defer mu.Unlock()
			res.latencies = append(res.latencies, lat...)
			for k, v := range status {
				res.status[k] += v
			}
			res.netErrs += netErrs
			res.firstErr = cmp.Or(res.firstErr, firstErr)
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.exhausted = exhausted.Load()
	slices.Sort(res.latencies)
	return res
}

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted: the smallest value with at least p % of the values at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func (r *result) print(w io.Writer, cfg config) {
	n := len(r.latencies)
	fmt.Fprintf(w, "scenario %s, %d connections, %s over %s\n", cfg.scenario, cfg.conns, cfg.duration, strings.Join(cfg.urls, ","))
	fmt.Fprintf(w, "requests   %d in %.2fs = %.1f req/s\n", n, r.elapsed.Seconds(), float64(n)/r.elapsed.Seconds())
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
	fmt.Fprintf(w, "latency    p50 %s  p90 %s  p99 %s  max %s\n",
		ms(percentile(r.latencies, 50)), ms(percentile(r.latencies, 90)), ms(percentile(r.latencies, 99)), ms(percentile(r.latencies, 100)))
	var parts []string
	non2xx := 0
	for _, k := range slices.Sorted(maps.Keys(r.status)) {
		parts = append(parts, fmt.Sprintf("%d×%d", k, r.status[k]))
		if k/100 != 2 {
			non2xx += r.status[k]
		}
	}
	fmt.Fprintf(w, "status     %s\n", strings.Join(parts, " "))
	fmt.Fprintf(w, "errors     %d non-2xx, %d without answer\n", non2xx, r.netErrs)
	if r.firstErr != "" {
		fmt.Fprintf(w, "first err  %s\n", r.firstErr)
	}
	if r.exhausted {
		fmt.Fprintf(w, "note       ran out of prepared invitations before -d; raise -n\n")
	}
}

// apiClient makes the setup calls.
type apiClient struct {
	c         *http.Client
	base, key string
}

func (a *apiClient) do(ctx context.Context, method, p string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+p, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.key)
	resp, err := a.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, p, resp.StatusCode, bytes.TrimSpace(b))
	}
	return json.Unmarshal(b, out)
}
