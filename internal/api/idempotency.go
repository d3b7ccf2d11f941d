package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/openapi"
)

// The header, its bound and the replay marker are the spec's: one
// declaration for what the service does and what the document says.
const (
	idempotencyKeyHeader = openapi.IdempotencyKeyHeader
	maxIdempotencyKey    = openapi.MaxIdempotencyKey
)

// idempotently serves a create sent with an Idempotency-Key: the first
// request with a key runs and its answer is stored; a retry with the same
// key and body replays that answer, and a different body with the same key
// is a conflict. Keys are scoped to the caller, the method and the path, so
// one tenant's key cannot collide with, or read, another's answer.
func (s *server) idempotently(w http.ResponseWriter, r *http.Request, data []byte,
	answer func(http.ResponseWriter, *http.Request, []byte) (int, []byte, []byte)) {
	key := r.Header.Get(idempotencyKeyHeader)
	if utf8.RuneCountInString(key) > maxIdempotencyKey {
		s.writeError(w, r, errInvalid(fmt.Sprintf("%s must be at most %d characters", idempotencyKeyHeader, maxIdempotencyKey)))
		return
	}
	scope := principal(invited.ActorFromContext(r.Context())) + " " + r.Method + " " + r.URL.Path
	sum := sha256.Sum256(data)

	stored, err := s.deps.Idempotency.BeginIdempotent(r.Context(), scope, key, hex.EncodeToString(sum[:]))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if stored != nil {
		w.Header().Set(openapi.IdempotentReplayedHeader, "true")
		writeRaw(w, stored.Status, stored.Body)
		return
	}

	// The outcome is recorded even if the caller hangs up meanwhile: the
	// work is done, and the retry that follows must see it.
	ctx := context.WithoutCancel(r.Context())
	finished := false
	defer func() {
		// A failed or throttled request, or a panic, releases the key for a retry
		// rather than leaving it reserved until it expires.
		if !finished {
			if err := s.deps.Idempotency.AbandonIdempotent(ctx, scope, key); err != nil {
				s.logInternal(r, "abandoning idempotency key", err)
			}
		}
	}()
	status, body, replay := answer(w, r, data)
	// A server error or a rate limit is no outcome to replay: the retry
	// that follows must run again.
	if status < http.StatusInternalServerError && status != http.StatusTooManyRequests {
		finished = true
		if err := s.deps.Idempotency.FinishIdempotent(ctx, scope, key, invited.IdempotentResponse{Status: status, Body: replay}); err != nil {
			// The request itself succeeded; only its replay is lost.
			s.logInternal(r, "storing idempotent response", err)
		}
	}
	writeRaw(w, status, body)
}

// principal names who is calling, for scoping Idempotency-Keys.
func principal(a *invited.Actor) string {
	var user string
	if a.User != nil {
		// The external id is stable from a user's first request on; the
		// user id appears only once they have accepted an invitation.
		user = "user:" + a.User.ID
		if a.User.ExternalID != "" {
			user = "ext:" + a.User.ExternalID
		}
	}
	switch {
	case a.APIKeyID != "" && user != "":
		return a.APIKeyID + "/" + user
	case a.APIKeyID != "":
		return a.APIKeyID
	}
	return user
}
