-- Tracing (issue 16): the W3C traceparent of the request that enqueued a
-- message, for the span of its delivery to link to. NULL when that
-- request was not traced.
ALTER TABLE messages ADD COLUMN trace_parent TEXT;
