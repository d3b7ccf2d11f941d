package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/api"
	"github.com/invitedhq/invited/internal/config"
	"github.com/invitedhq/invited/internal/connect"
	"github.com/invitedhq/invited/internal/dnsverify"
	"github.com/invitedhq/invited/internal/egress"
	"github.com/invitedhq/invited/internal/email"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/jobs"
	"github.com/invitedhq/invited/internal/jwtauth"
	"github.com/invitedhq/invited/internal/metrics"
	"github.com/invitedhq/invited/internal/notify"
	"github.com/invitedhq/invited/internal/ratelimit"
	"github.com/invitedhq/invited/internal/sms"
	"github.com/invitedhq/invited/internal/sqlstore"
	"github.com/invitedhq/invited/internal/ticket"
	"github.com/invitedhq/invited/internal/tracing"
	"github.com/invitedhq/invited/internal/web"
	"github.com/invitedhq/invited/internal/webhook"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// serve runs the HTTP server and background jobs until ctx is done, then
// shuts down gracefully. This is the one place where everything is wired.
//
// It binds its address first, so that a port 0 (INVITED_ADDR=127.0.0.1:0)
// is known before anything is wired, and an unset public URL defaults to
// the bound address (publicURLOf). listening, when not nil, is called with
// the bound address once everything is wired and requests are served:
// tests start serve on port 0 and talk to it from then on.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, listening func(net.Addr)) error {
	cfg, err := config.Parse("serve", args, getenv, stderr)
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	// Off, a nil tracer everywhere, unless OTEL_* name an endpoint.
	tracer, logger, stopTracing, err := startTracing(ctx, getenv, logger)
	if err != nil {
		return err
	}
	defer stopTracing()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if cfg.PublicURL == "" {
		cfg.PublicURL = publicURLOf(ln.Addr())
	}

	// One registry per serve, not Prometheus's default global one.
	m := metrics.New(prometheus.NewRegistry())
	dispatcher := &jobs.Dispatcher{Link: cfg.PublicLink, Horizon: cfg.DeliveryHorizon, Logger: logger, Metrics: m, Tracer: tracer}
	var mailbox *email.Mailbox
	if dispatcher.Transports, mailbox, err = transports(cfg, logger, tracer); err != nil {
		return err
	}

	db, err := sqlstore.Open(ctx, cfg.DatabaseURL, sqlstore.Options{
		Logger:         logger,
		ReminderBefore: cfg.ReminderBefore,
		Enqueued:       dispatcher.Wake,
		Secrets:        cfg.Secrets,
		Outbound:       cfg.Outbound(),
		APIKeyCache:    cfg.APIKeyCache,
		Tracer:         tracer,
	})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	dispatcher.Outbox = db

	if !cfg.Secrets.Configured() {
		logger.Warn("INVITED_ENCRYPTION_KEYS is not set: apps cannot be registered with an OAuth client secret, and app invites cannot connect")
	}
	if err := bootstrapAdminKey(ctx, db, cfg, stdout); err != nil {
		return err
	}
	// Acceptance tickets are signed from the first request on, so the
	// first key is made now rather than on demand.
	ticketKeys := ticket.New(db, cfg.PublicURL, nil)
	if err := ticketKeys.Ensure(ctx); err != nil {
		return err
	}

	var verifier *jwtauth.Verifier
	if cfg.JWTIssuer != "" {
		verifier, err = jwtauth.NewVerifier(jwtauth.Config{Issuer: cfg.JWTIssuer, JWKSURL: cfg.JWKSURL, Audience: cfg.JWTAudience})
		if err != nil {
			return fmt.Errorf("user tokens: %w", err)
		}
	}

	// One counting wrapper for both transports: an invitation accepted on
	// the hosted page counts as one accepted through the API.
	invitations := metrics.CountInvitations(db, m)
	// One set of credentials and limiters for the API and the pages: a
	// console session means what the API key means, and a page spends the
	// allowance of the API call it stands for.
	credentials := &httpkit.Credentials{Auth: db, Verifier: verifier, TrustedProxies: cfg.TrustedProxies}
	limiter := limiterOn(db)
	createLimit := limiter("create", cfg.RateLimitCreate)
	publicLimit := limiter("public", cfg.RateLimitPublic)
	joinLimit := limiter("join", cfg.RateLimitJoin)
	connector := connect.New(connect.Config{Store: db, PublicURL: cfg.PublicURL, Logger: logger,
		HTTPClient: tracing.Client(tracer, egress.Client(cfg.Outbound(), connect.DefaultTimeout))})
	pages, err := web.New(web.Deps{
		Orgs:         db,
		Members:      db,
		Roles:        db,
		Links:        invitations,
		Invitations:  invitations,
		Joins:        db,
		Credentials:  credentials,
		Sessions:     db,
		JoinRequests: db,
		Tickets:      ticketKeys,
		Connections:  db,
		Connect:      connector,
		CreateLimit:  createLimit,
		PublicLimit:  publicLimit,
		JoinLimit:    joinLimit,
		PublicURL:    cfg.PublicURL,
		Logger:       logger,
	})
	if err != nil {
		return fmt.Errorf("hosted pages: %w", err)
	}

	var handler http.Handler = api.NewServer(api.Deps{
		Orgs:          db,
		Members:       db,
		Roles:         db,
		Invitations:   invitations,
		APIKeys:       db,
		Idempotency:   db,
		Audit:         db,
		Webhooks:      db,
		Outbox:        db,
		JoinLinks:     db,
		JoinRequests:  db,
		Domains:       db,
		Erasure:       db,
		DNS:           dnsverify.NewResolver(cfg.DNSResolver),
		Apps:          db,
		Profiles:      db,
		ProfileTokens: connector,
		Tickets:       db,
		TicketKeys:    ticketKeys,
		CreateLimit:   createLimit,
		PublicLimit:   publicLimit,
		JoinLimit:     joinLimit,
		Credentials:   credentials,
		PublicURL:     cfg.PublicURL,
		Logger:        logger,
		Ready:         []api.Check{{Name: "database", Check: db.Ready}, {Name: "signing_keys", Check: ticketKeys.Ready}},
		Metrics:       m,
		Tracer:        tracer,
		Pages:         pages.Routes(),
	})
	if mailbox != nil {
		// Development only: the page shows secret links.
		mux := http.NewServeMux()
		mux.Handle("GET /dev/outbox", mailbox)
		mux.Handle("/", handler)
		handler = mux
		logger.Warn("development mode: GET /dev/outbox shows every email and text message, secret links included")
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("invited listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "version", invited.Version)

	jobCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		(&jobs.Sweeper{Expirer: db, Purger: db, Interval: cfg.SweepInterval, Logger: logger,
			Expired: func(n int) { m.Transition(metrics.Expired, n) }}).Run(jobCtx)
	})
	wg.Go(func() { dispatcher.Run(jobCtx) })
	wg.Go(func() {
		(&jobs.Retention{Store: db, Policy: cfg.Retention, Interval: cfg.RetentionInterval, Pause: jobs.RetentionPause,
			Logger: logger, Retained: func(k invited.RetentionKind, n int) { m.Retained(string(k), n) }}).Run(jobCtx)
	})

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	if listening != nil {
		listening(ln.Addr())
	}

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		logger.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		err = srv.Shutdown(shutdownCtx)
		cancel()
	}
	stopJobs()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// publicURLOf is the public URL of a service listening on addr, when
// INVITED_PUBLIC_URL is not set: http://localhost:PORT when it listens on
// every interface (the default :8080 gives http://localhost:8080), else
// http://HOST:PORT of the address it bound.
func publicURLOf(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String()) // a TCP address has both
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// transports returns the transport of each channel: SMTP and the SMS
// provider when configured, else the log (and, in development mode, the
// mailbox of GET /dev/outbox, which it returns too).
func transports(cfg config.Config, logger *slog.Logger, tracer trace.Tracer) (map[string]invited.Transport, *email.Mailbox, error) {
	templates, err := email.LoadTemplates(cfg.EmailTemplates)
	if err != nil {
		return nil, nil, fmt.Errorf("email templates: %w", err)
	}
	logged := &notify.Log{Logger: logger, Subject: func(l *invited.Letter) string {
		if r, err := templates.Render(l); err == nil {
			return r.Subject
		}
		return l.Kind
	}}
	var mailbox *email.Mailbox
	if cfg.Dev {
		mailbox = &email.Mailbox{Templates: templates, SMSText: sms.Text}
		logged.Also = mailbox
	}
	// The webhook's request is a span of its own, and tells the endpoint
	// its trace in the traceparent header.
	hooks := webhook.NewSender(tracing.Client(tracer, egress.Client(cfg.Outbound(), webhook.DefaultTimeout)), "invited/"+invited.Version)
	hooks.Logger = logger
	ts := map[string]invited.Transport{
		invited.ChannelEmail:   logged,
		invited.ChannelSMS:     logged,
		invited.ChannelWebhook: hooks,
	}
	if cfg.SMTPURL != "" {
		if ts[invited.ChannelEmail], err = email.NewSender(cfg.SMTPURL, templates); err != nil {
			return nil, nil, fmt.Errorf("INVITED_SMTP_URL: %w", err)
		}
	}
	if cfg.SMSURL != "" {
		if ts[invited.ChannelSMS], err = sms.NewTwilio(cfg.SMSURL, nil); err != nil {
			return nil, nil, fmt.Errorf("INVITED_SMS_URL: %w", err)
		}
	}
	return ts, mailbox, nil
}

// bootstrapAdminKey ensures INVITED_ADMIN_API_KEY is an admin key, or, on an
// empty database without it, creates one and prints it once: the operator
// needs some credential to start with, and it must not be guessable.
func bootstrapAdminKey(ctx context.Context, db *sqlstore.DB, cfg config.Config, stdout io.Writer) error {
	if cfg.AdminAPIKey != "" {
		if _, err := db.EnsureAdminAPIKey(ctx, cfg.AdminAPIKey, "INVITED_ADMIN_API_KEY"); err != nil {
			return fmt.Errorf("admin key from INVITED_ADMIN_API_KEY: %w", err)
		}
		return nil
	}
	secret, err := db.CreateFirstAdminKey(ctx)
	if err != nil {
		return fmt.Errorf("first admin key: %w", err)
	}
	if secret != "" {
		fmt.Fprintf(stdout, "\nCreated the first admin API key. It is shown only once; store it now:\n\n    %s\n\nUse it as: Authorization: Bearer <key>\n\n", secret)
	}
	return nil
}

// migrate applies the embedded migrations and exits.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	db, _, err := openDatabase(ctx, "migrate", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(stdout, "database is up to date")
	return nil
}

// startTracing sets up tracing as the OTEL_* variables of getenv configure
// it (internal/tracing). When they turn it on, it returns the tracer, the
// logger adding the trace id to every line of a traced request, and the
// stop that exports the spans left; otherwise a nil tracer, logger as it
// is, and a stop that does nothing.
func startTracing(ctx context.Context, getenv func(string) string, logger *slog.Logger) (trace.Tracer, *slog.Logger, func(), error) {
	t, err := tracing.Setup(ctx, getenv, logger)
	if err != nil || t == nil {
		return nil, logger, func() {}, err
	}
	logger = slog.New(tracing.LogHandler(logger.Handler()))
	logger.Info("tracing on: exporting spans over OTLP", "protocol", t.Protocol)
	stop := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := t.Shutdown(ctx); err != nil {
			logger.Warn("tracing: exporting the last spans failed", "err", err)
		}
	}
	return t.Tracer, logger, stop, nil
}

func newLogger(cfg config.Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}

// limiterOn returns what makes serve's rate limiters: kept in the database
// where several instances may share it (PostgreSQL), so that each limit
// holds for all of them together, named apart by name; in memory where
// one process serves it (SQLite).
func limiterOn(db *sqlstore.DB) func(name string, r ratelimit.Rate) ratelimit.Limiter {
	if db.SharedByInstances() {
		return func(name string, r ratelimit.Rate) ratelimit.Limiter { return ratelimit.NewShared(name, r, db) }
	}
	return func(_ string, r ratelimit.Rate) ratelimit.Limiter { return ratelimit.NewMemory(r) }
}
