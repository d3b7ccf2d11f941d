package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/invitedhq/invited"
)

// CreateApp registers an app: system-wide without in.OrgID (an admin
// key), else that organization's (apps:manage). It honours
// WithIdempotencyKey.
func (c *Client) CreateApp(ctx context.Context, in invited.AppCreate) (*invited.App, error) {
	return answer[*invited.App](ctx, c, call{op: "createApp", method: http.MethodPost, path: "/v1/apps", in: in})
}

// ListApps answers a page of the apps the caller can see.
func (c *Client) ListApps(ctx context.Context, f invited.AppFilter) (AppList, error) {
	return answer[AppList](ctx, c, call{op: "listApps", method: http.MethodGet, path: "/v1/apps", query: query(f.Page, "org_id", f.OrgID)})
}

// Apps iterates over the apps the caller can see.
func (c *Client) Apps(ctx context.Context, f invited.AppFilter) iter.Seq2[*invited.App, error] {
	return pages(f.PageToken, func(token string) ([]*invited.App, string, error) {
		f.PageToken = token
		l, err := c.ListApps(ctx, f)
		return l.Apps, l.NextPageToken, err
	})
}

// GetApp reads an app.
func (c *Client) GetApp(ctx context.Context, appID string) (*invited.App, error) {
	return answer[*invited.App](ctx, c, call{op: "getApp", method: http.MethodGet, path: pathf("/v1/apps/%s", appID)})
}

// CreateAppInvite invites a partner to connect through an app; the answer
// carries the app code and the partner's link, only here. It honours
// WithIdempotencyKey.
func (c *Client) CreateAppInvite(ctx context.Context, appID string, in invited.AppInviteCreate) (*AppInviteWithCode, error) {
	return answer[*AppInviteWithCode](ctx, c, call{op: "createAppInvite", method: http.MethodPost, path: pathf("/v1/apps/%s/invites", appID), in: in})
}

// ListAppInvites answers a page of app invites.
func (c *Client) ListAppInvites(ctx context.Context, f invited.AppInviteFilter) (AppInviteList, error) {
	return answer[AppInviteList](ctx, c, call{op: "listAppInvites", method: http.MethodGet, path: "/v1/app-invites",
		query: query(f.Page, "org_id", f.OrgID, "app_id", f.AppID, "status", string(f.Status))})
}

// AppInvites iterates over app invites.
func (c *Client) AppInvites(ctx context.Context, f invited.AppInviteFilter) iter.Seq2[*invited.AppInvite, error] {
	return pages(f.PageToken, func(token string) ([]*invited.AppInvite, string, error) {
		f.PageToken = token
		l, err := c.ListAppInvites(ctx, f)
		return l.AppInvites, l.NextPageToken, err
	})
}

// GetAppInvite reads an app invite by its id (ainv_…). The same operation
// answers the public preview of an app code: PreviewAppInvite.
func (c *Client) GetAppInvite(ctx context.Context, id string) (*invited.AppInvite, error) {
	return answer[*invited.AppInvite](ctx, c, getAppInvite(id))
}

// PreviewAppInvite answers what the app invite link of code offers. It
// needs no credentials.
func (c *Client) PreviewAppInvite(ctx context.Context, code string) (*invited.AppInvitePreview, error) {
	return answer[*invited.AppInvitePreview](ctx, c, getAppInvite(code))
}

// getAppInvite is GET /v1/app-invites/{id_or_code}, which tells an id from
// a code by its shape.
func getAppInvite(idOrCode string) call {
	return call{op: "getAppInvite", method: http.MethodGet, path: pathf("/v1/app-invites/%s", idOrCode)}
}

// RevokeAppInvite revokes a pending app invite.
func (c *Client) RevokeAppInvite(ctx context.Context, id string) (*invited.AppInvite, error) {
	return answer[*invited.AppInvite](ctx, c, call{op: "revokeAppInvite", method: http.MethodPost, path: pathf("/v1/app-invites/%s/revoke", id)})
}

// ArchiveAppInvite files away an active, revoked or expired app invite.
func (c *Client) ArchiveAppInvite(ctx context.Context, id string) (*invited.AppInvite, error) {
	return answer[*invited.AppInvite](ctx, c, call{op: "archiveAppInvite", method: http.MethodPost, path: pathf("/v1/app-invites/%s/archive", id)})
}

// ListOrgProfiles answers a page of the connection profiles of the
// organization f.OrgID.
func (c *Client) ListOrgProfiles(ctx context.Context, f invited.ProfileFilter) (ProfileList, error) {
	return answer[ProfileList](ctx, c, call{op: "listOrgProfiles", method: http.MethodGet, path: pathf("/v1/orgs/%s/profiles", f.OrgID),
		query: query(f.Page, "app_id", f.AppID, "status", string(f.Status))})
}

// OrgProfiles iterates over the connection profiles of the organization
// f.OrgID.
func (c *Client) OrgProfiles(ctx context.Context, f invited.ProfileFilter) iter.Seq2[*invited.Profile, error] {
	return pages(f.PageToken, func(token string) ([]*invited.Profile, string, error) {
		f.PageToken = token
		l, err := c.ListOrgProfiles(ctx, f)
		return l.Profiles, l.NextPageToken, err
	})
}

// ListProfiles answers a page of connection profiles across organizations.
func (c *Client) ListProfiles(ctx context.Context, f invited.ProfileFilter) (ProfileList, error) {
	return answer[ProfileList](ctx, c, call{op: "listProfiles", method: http.MethodGet, path: "/v1/profiles",
		query: query(f.Page, "org_id", f.OrgID, "app_id", f.AppID, "status", string(f.Status))})
}

// Profiles iterates over connection profiles across organizations.
func (c *Client) Profiles(ctx context.Context, f invited.ProfileFilter) iter.Seq2[*invited.Profile, error] {
	return pages(f.PageToken, func(token string) ([]*invited.Profile, string, error) {
		f.PageToken = token
		l, err := c.ListProfiles(ctx, f)
		return l.Profiles, l.NextPageToken, err
	})
}

// GetProfile reads a connection profile.
func (c *Client) GetProfile(ctx context.Context, id string) (*invited.Profile, error) {
	return answer[*invited.Profile](ctx, c, call{op: "getProfile", method: http.MethodGet, path: pathf("/v1/profiles/%s", id)})
}

// ArchiveProfile disconnects a profile: its tokens are deleted, it and its
// app invite archived.
func (c *Client) ArchiveProfile(ctx context.Context, id string) (*invited.Profile, error) {
	return answer[*invited.Profile](ctx, c, call{op: "archiveProfile", method: http.MethodPost, path: pathf("/v1/profiles/%s/archive", id)})
}

// GetProfileToken answers an access token for the connected account,
// renewed first when it is about to expire.
func (c *Client) GetProfileToken(ctx context.Context, id string) (*invited.ProfileToken, error) {
	return answer[*invited.ProfileToken](ctx, c, call{op: "getProfileToken", method: http.MethodPost, path: pathf("/v1/profiles/%s/token", id)})
}
