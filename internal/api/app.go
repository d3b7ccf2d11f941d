package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/openapi"
)

func (s *server) createApp(r *http.Request, c invited.AppCreate) (*invited.App, error) {
	return s.deps.Apps.CreateApp(r.Context(), c)
}

func (s *server) listApps(r *http.Request) (client.AppList, error) {
	q, f := r.URL.Query(), invited.FieldErrors{}
	filter := invited.AppFilter{OrgID: queryOrgID(q, f), Page: pageOf(q, f)}
	if err := f.Err(); err != nil {
		return client.AppList{}, err
	}
	apps, next, err := s.deps.Apps.FindApps(r.Context(), filter)
	return client.AppList{Apps: nonNil(apps), NextPageToken: next}, err
}

func (s *server) getApp(r *http.Request) (*invited.App, error) {
	id, err := pathID(r, "app", invited.PrefixApp)
	if err != nil {
		return nil, err
	}
	return s.deps.Apps.FindAppByID(r.Context(), id)
}

func (s *server) createAppInvite(r *http.Request, c invited.AppInviteCreate) (client.AppInviteWithCode, error) {
	appID, err := pathID(r, "app", invited.PrefixApp)
	if err != nil {
		return client.AppInviteWithCode{}, err
	}
	if err := s.throttleCreates(r, c.OrgID, invited.PermConnectionsManage, 1); err != nil {
		return client.AppInviteWithCode{}, err
	}
	ai, code, err := s.deps.Apps.CreateAppInvite(r.Context(), appID, c)
	if err != nil {
		return client.AppInviteWithCode{}, err
	}
	return client.AppInviteWithCode{AppInvite: *ai, Code: code, URL: invited.AppInviteLink(s.deps.PublicURL, code)}, nil
}

func (s *server) listAppInvites(r *http.Request) (client.AppInviteList, error) {
	q, f := r.URL.Query(), invited.FieldErrors{}
	filter := invited.AppInviteFilter{OrgID: queryOrgID(q, f), AppID: queryAppID(q, f),
		Status: queryStatus(q, f, invited.AppInviteStatuses), Page: pageOf(q, f)}
	if err := f.Err(); err != nil {
		return client.AppInviteList{}, err
	}
	invites, next, err := s.deps.Apps.FindAppInvites(r.Context(), filter)
	return client.AppInviteList{AppInvites: nonNil(invites), NextPageToken: next}, err
}

// queryAppID reads the app_id filter of the lists of app invites and
// profiles.
func queryAppID(q url.Values, f invited.FieldErrors) string {
	id := q.Get("app_id")
	if id != "" && !invited.ValidID(id, invited.PrefixApp) {
		f.Add("app_id", invited.Problemf("app_id_format"))
	}
	return id
}

// appInviteAction adapts a service method on one app invite, named by the
// path, to an endpoint. Like invitationAction, it looks the service up per
// call so that the route table can be built without services.
func (s *server) appInviteAction(fn func(invited.AppService, context.Context, string) (*invited.AppInvite, error)) func(*http.Request) (*invited.AppInvite, error) {
	return onPath(invited.PrefixAppInvite, func() invited.AppService { return s.deps.Apps }, fn)
}

// lookupParam is the path parameter of GET /v1/app-invites/{id_or_code}.
const lookupParam = "id_or_code"

// appInviteLookup serves GET /v1/app-invites/{id_or_code}, which is two
// reads on one path: DESIGN.md §4 puts the public lookup by app code there,
// and the app invite by id belongs there like every other resource's. They
// cannot be told apart by the router, but they can by shape: an id is
// "ainv_" and 26 base32 characters, 31 in all, while a code is NewSecret's
// 43 base64url characters, so no code has the shape of an id.
// An id needs credentials and answers the app invite; anything else is
// taken for a code, needs none, and answers only the public preview.
//
// The route is registered as public; the id branch authenticates itself,
// so that a missing or bad credential is 401 exactly as on any other route.
type appInviteLookup struct {
	byID   http.Handler
	byCode *endpoint[noBody, *invited.AppInvitePreview]
}

func (s *server) appInviteLookup() *appInviteLookup {
	byID := bodyless(s, func(r *http.Request) (*invited.AppInvite, error) {
		return s.deps.Apps.FindAppInviteByID(r.Context(), r.PathValue(lookupParam))
	})
	return &appInviteLookup{byID: s.authenticate(byID), byCode: bodyless(s, s.previewAppInvite)}
}

func (l *appInviteLookup) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if invited.ValidID(r.PathValue(lookupParam), invited.PrefixAppInvite) {
		l.byID.ServeHTTP(w, r)
		return
	}
	l.byCode.ServeHTTP(w, r)
}

// describe is the public branch's, the route's as DESIGN.md names it;
// amendSpec adds the id branch.
func (l *appInviteLookup) describe(rt *openapi.Route) { l.byCode.describe(rt) }

// amendSpec says what the route table cannot: credentials are optional
// (security [{}, bearer]: none for a code, required for an id), and the
// answer is the app invite or its preview.
func (l *appInviteLookup) amendSpec(op *openapi.Operation) {
	op.Auth = "public with an app code; with an app invite id, connections:manage"
	op.Security = []openapi.SecurityRequirement{{}, {"bearer": {}}} // the scheme openapi.Spec declares
	ok := op.Responses["200"].Content["application/json"]
	// AppInvite is a component already: the other app invite routes answer it.
	ok.Schema = &openapi.Schema{AnyOf: []*openapi.Schema{{Ref: "#/components/schemas/AppInvite"}, ok.Schema}}
	op.Responses["200"].Content["application/json"] = ok
}

// previewAppInvite is the public branch: anyone holding the link may see
// what it offers. Every lookup spends the client address's allowance of
// public link requests, a malformed code too, as guessing would; the
// service answers a malformed code not_found without a query.
func (s *server) previewAppInvite(r *http.Request) (*invited.AppInvitePreview, error) {
	if err := s.throttlePublic(r); err != nil {
		return nil, err
	}
	return s.deps.Apps.PreviewAppInvite(r.Context(), r.PathValue(lookupParam))
}
