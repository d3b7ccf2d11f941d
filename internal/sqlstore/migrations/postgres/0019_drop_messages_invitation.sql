-- Performance (issue 14): messages_of_invitation (0016) holds every letter
-- of an invitation; messages_invitation (0003) held the pending ones only,
-- the same key again. The queries that asked for an invitation's pending
-- letters (cancel, reschedule, the claim's check) find them through the
-- wider index, among the few letters one invitation has. Each letter
-- costs one index entry fewer to write, and its delivery one fewer to
-- delete.
DROP INDEX messages_invitation;
