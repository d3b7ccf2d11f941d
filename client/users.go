package client

import (
	"context"
	"net/http"

	"github.com/invitedhq/invited"
)

// EraseUser erases a user's personal data everywhere, and that of the
// addresses in in besides theirs (an admin key).
func (c *Client) EraseUser(ctx context.Context, userID string, in invited.EraseRequest) (*invited.Erasure, error) {
	return answer[*invited.Erasure](ctx, c, call{op: "eraseUser", method: http.MethodPost, path: pathf("/v1/users/%s/erase", userID), in: in})
}

// EraseInvitee erases the personal data of the email or phone in in, for
// someone who was only invited, and of the user with that email if any (an
// admin key).
func (c *Client) EraseInvitee(ctx context.Context, in invited.EraseRequest) (*invited.Erasure, error) {
	return answer[*invited.Erasure](ctx, c, call{op: "eraseInvitee", method: http.MethodPost, path: "/v1/invitees/erase", in: in})
}
