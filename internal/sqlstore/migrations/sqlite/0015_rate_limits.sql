-- Rate limits shared by every instance (internal/ratelimit.Shared): one
-- row per bucket, named by a digest of the limiter and its key (a client
-- address, an organization, a join link's token hash). tat is the
-- bucket's theoretical arrival time, in nanoseconds since 1970: when it
-- will be full again; a row whose tat has passed is a full bucket, reused
-- as new by the next spend and deleted by the sweeper. granted is what
-- the last spend granted beyond its cost (-1: it was refused), read back
-- by that spend's RETURNING.
--
-- One process serves a SQLite database, and keeps its limits in memory
-- (ratelimit.Memory): the table is here so that the store is the same on
-- both databases, and its contract is tested on both.
CREATE TABLE rate_limits (
	key     BLOB PRIMARY KEY,
	tat     INTEGER NOT NULL,
	granted INTEGER NOT NULL
) WITHOUT ROWID;
