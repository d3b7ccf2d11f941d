// Package metrics holds invited's Prometheus metrics. It wraps
// client_golang, like the other subpackages are named after what they wrap;
// there is no global: `invited serve` creates a Registry, New registers the
// collectors on it, and the Metrics value is passed to whoever counts.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Actions of invited_invitation_transitions_total: the moves of the
// invitation lifecycle (DESIGN.md §2), plus creation.
const (
	Created  = "created"
	Sent     = "sent"
	Resent   = "resent"
	Renewed  = "renewed"
	Accepted = "accepted"
	Declined = "declined"
	Revoked  = "revoked"
	Archived = "archived"
	Expired  = "expired"
)

// Outcomes of invited_delivery_attempts_total.
const (
	Delivered = "delivered" // the receiver took the message
	Failed    = "failed"    // the attempt failed; the message will be retried
	Dead      = "dead"      // the attempt failed and the message gave up
)

// channels are the outbox channels (invited.Channels; this package does
// not import the domain).
var channels = []string{"email", "sms", "webhook"}

// retentionKinds are the kinds of invited_retention_rows_total
// (invited.RetentionKinds).
var retentionKinds = []string{"messages", "audit_events", "invitations", "app_invites", "join_requests"}

// Unmatched is the route label of requests that matched no route, whose
// path must not become a label: it may hold a token, and it is unbounded.
const Unmatched = "unmatched"

// Metrics is the set of invited's own metrics on one registry.
type Metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	transitions *prometheus.CounterVec
	deliveries  *prometheus.CounterVec
	pending     *prometheus.GaugeVec
	retained    *prometheus.CounterVec
}

// New registers invited's metrics and the Go runtime and process
// collectors on reg.
func New(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "invited_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "invited_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "invited_invitation_transitions_total",
			Help: "Invitation lifecycle transitions made by this process, by action.",
		}, []string{"action"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "invited_delivery_attempts_total",
			Help: "Outbox delivery attempts made by this process, by channel and outcome (delivered, failed, dead).",
		}, []string{"channel", "outcome"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "invited_outbox_pending_messages",
			Help: "Messages waiting in the outbox (shared by every instance), by channel, as last counted.",
		}, []string{"channel"}),
		retained: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "invited_retention_rows_total",
			Help: "Rows the retention job of this process deleted (messages, audit_events) or cleared of personal data (invitations, app_invites, join_requests), by kind.",
		}, []string{"kind"}),
	}
	// Every action is present from the start, so that rate() and absent
	// alerts work before the first transition of a kind.
	for _, a := range []string{Created, Sent, Resent, Renewed, Accepted, Declined, Revoked, Archived, Expired} {
		m.transitions.WithLabelValues(a)
	}
	for _, c := range channels {
		m.pending.WithLabelValues(c)
		for _, o := range []string{Delivered, Failed, Dead} {
			m.deliveries.WithLabelValues(c, o)
		}
	}
	for _, k := range retentionKinds {
		m.retained.WithLabelValues(k)
	}
	reg.MustRegister(m.requests, m.duration, m.transitions, m.deliveries, m.pending, m.retained,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// ObserveRequest counts one answered request. route is the mux pattern
// (or Unmatched), never the path. Methods outside the standard set are
// counted as "OTHER", since the method is whatever the client sent.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	method = normalizeMethod(method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// Transition counts n transitions of one action.
func (m *Metrics) Transition(action string, n int) {
	if n > 0 {
		m.transitions.WithLabelValues(action).Add(float64(n))
	}
}

// Retained counts n rows of kind that retention deleted or cleared.
func (m *Metrics) Retained(kind string, n int) {
	if n > 0 {
		m.retained.WithLabelValues(kind).Add(float64(n))
	}
}

// DeliveryAttempt counts one delivery attempt on channel with outcome.
func (m *Metrics) DeliveryAttempt(channel, outcome string) {
	m.deliveries.WithLabelValues(channel, outcome).Inc()
}

// SetOutboxPending records the pending messages by channel; channels
// missing from counts have none.
func (m *Metrics) SetOutboxPending(counts map[string]int) {
	for _, c := range channels {
		m.pending.WithLabelValues(c).Set(float64(counts[c]))
	}
}

func normalizeMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}
