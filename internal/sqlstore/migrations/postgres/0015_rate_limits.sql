-- Rate limits shared by every instance (internal/ratelimit.Shared): one
-- row per bucket, named by a digest of the limiter and its key (a client
-- address, an organization, a join link's token hash). tat is the
-- bucket's theoretical arrival time, in nanoseconds since 1970: when it
-- will be full again; a row whose tat has passed is a full bucket, reused
-- as new by the next spend and deleted by the sweeper. granted is what
-- the last spend granted beyond its cost (-1: it was refused), read back
-- by that spend's RETURNING.
--
-- UNLOGGED: counters need no durability, and skipping the write-ahead log
-- makes every spend cheaper. After a crash PostgreSQL empties the table,
-- which makes every bucket full: a client may then get one more burst,
-- as after a restart of an in-memory limiter.
CREATE UNLOGGED TABLE rate_limits (
	key     BYTEA PRIMARY KEY,
	tat     BIGINT NOT NULL,
	granted BIGINT NOT NULL
);
