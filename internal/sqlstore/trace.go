package sqlstore

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/invitedhq/invited"
)

// The store's spans (Options.Tracer): a span of each transaction, with a
// span of each statement in it, and, where writes take turns, a span of
// each write's wait for its group's commit. They are made only as children
// of a span that records, the request's: the background work of the jobs
// (claiming deliveries, sweeping) and a request that was not sampled make
// none, and with tracing off a statement costs one nil check.
//
// One mechanism serves both databases, at the store's statement layer
// (Tx.exec, Tx.query, …), where every statement passes with its text and
// apart from its arguments: a span carries the text, with its placeholders,
// never the arguments. A query's span ends when its first rows are ready,
// not when they have been read.

// maxQueryText bounds the statement text a span carries: a batch insert's
// text repeats its row hundreds of times.
const maxQueryText = 2048

// startSpan starts a span named name as the child of parent or, when
// parent is nil, of ctx's span, and returns it; it returns nil when
// tracing is off or that span does not record.
func (db *DB) startSpan(ctx context.Context, parent trace.Span, name string, opts ...trace.SpanStartOption) trace.Span {
	if parent == nil {
		parent = trace.SpanFromContext(ctx)
	}
	if !parent.IsRecording() {
		return nil
	}
	_, span := db.tracer.Start(trace.ContextWithSpan(ctx, parent), name,
		append(opts, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(db.system()))...)
	return span
}

// system is the db.system.name of the store's spans.
func (db *DB) system() attribute.KeyValue {
	if db.dialect.rowLocks {
		return semconv.DBSystemNamePostgreSQL
	}
	return semconv.DBSystemNameSQLite
}

// startTx starts the span of a transaction of ctx, read-only or not.
func (db *DB) startTx(ctx context.Context, readOnly bool) trace.Span {
	if db.tracer == nil {
		return nil
	}
	if readOnly {
		return db.startSpan(ctx, nil, "read transaction")
	}
	return db.startSpan(ctx, nil, "write transaction")
}

// startStatement starts the span of the statement query, the child of the
// transaction's span, or, in a transaction without one (readOne), of ctx's.
func (tx *Tx) startStatement(ctx context.Context, query string) trace.Span {
	if tx.db.tracer == nil {
		return nil
	}
	op, _, _ := strings.Cut(strings.TrimSpace(query), " ")
	if len(query) > maxQueryText {
		query = query[:maxQueryText] + "…"
	}
	return tx.db.startSpan(ctx, tx.span, strings.ToUpper(op), trace.WithAttributes(
		semconv.DBOperationName(strings.ToUpper(op)), semconv.DBQueryText(query)))
}

// endSpan ends span, if any, marking it failed when err is not nil, with
// the domain's error code ("internal" for the database's own errors): not
// the error's text, which may quote the values of a row.
func endSpan(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil {
		span.SetAttributes(semconv.ErrorTypeKey.String(invited.ErrorCode(err)))
		span.SetStatus(codes.Error, "")
	}
	span.End()
}
