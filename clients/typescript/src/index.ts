// A typed client of the invited HTTP API.
//
// The types come from src/schema.ts, generated from the server's OpenAPI
// document (npm run generate). Requests go through openapi-fetch, which
// types every path, parameter and body from that document; InvitedClient
// adds what the Go client offers on top: named methods, errors as thrown
// InvitedError values, pagination as async iterators, idempotency keys.
//
// The named methods' types are derived from operation ids, not from the
// spec's component names, so that a regenerated spec that renames or
// restructures its schemas keeps this file compiling as long as the
// operations stay.
import createFetchClient, { type Client } from "openapi-fetch";
import type { operations, paths } from "./schema.js";

export type { components, operations, paths } from "./schema.js";

// ---- types derived from the operations -----------------------------------

type OperationId = keyof operations;
type JSONContent<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Responses<K extends OperationId> = operations[K]["responses"];

/** The JSON answer of an operation's success (200 or 201). */
export type Success<K extends OperationId> =
  Responses<K> extends { 200: infer R } ? JSONContent<R> : Responses<K> extends { 201: infer R } ? JSONContent<R> : never;

/** The JSON body of an operation's request. */
export type Body<K extends OperationId> = JSONContent<NonNullable<operations[K]["requestBody"]>>;

/** The query parameters of an operation. */
export type Query<K extends OperationId> = NonNullable<operations[K]["parameters"]["query"]>;

/** A list operation's query without the page token, which the iterators manage. */
export type ListQuery<K extends OperationId> = Omit<Query<K>, "page_token">;

export type Organization = Success<"getOrganization">;
export type OrganizationCreate = Body<"createOrganization">;
export type OrganizationUpdate = Body<"updateOrganization">;
export type Invitation = Success<"getInvitation">;
/** A created (or sent, or resent) invitation, with its secret link in `url` (absent in replays). */
export type InvitationWithURL = Success<"createInvitation">;
export type InvitationCreate = Body<"createInvitation">;
export type BatchRequest = Body<"createInvitations">;
export type BatchResponse = Success<"createInvitations">;
export type Renewal = Body<"renewInvitation">;
export type InvitationPreview = Success<"previewInvitation">;
export type AcceptRequest = Body<"acceptInvitation">;
export type Acceptance = Success<"acceptInvitation">;
export type JoinLink = Success<"getJoinLink">;
/** A created (or rotated) join link, with its secret `token` and `url` (absent in replays). */
export type JoinLinkWithURL = Success<"createJoinLink">;
export type JoinLinkCreate = Body<"createJoinLink">;
export type JoinLinkPreview = Success<"previewJoinLink">;
export type JoinLinkAcceptance = Success<"acceptJoinLink">;
export type JoinRequest = Success<"getJoinRequest">;
export type JoinRequestCreate = Body<"createJoinRequest">;
export type JoinDecision = Body<"approveJoinRequest">;
/** A decided join request, with the membership an approval made (null for a denial). */
export type JoinDecisionResult = Success<"approveJoinRequest">;
/** A domain claim with `challenge`, the TXT record that verifies it. */
export type Domain = Success<"getDomain">;
export type DomainCreate = Body<"createDomain">;
export type DomainUpdate = Body<"updateDomain">;
export type DomainVerify = Body<"verifyDomain">;
export type JoinableOrg = Success<"listJoinableOrgs">["joinable_orgs"][number];
/** The outcome of joining through a verified domain: a membership (policy auto) or a join request (policy request). */
export type DomainJoin = Success<"joinOrganization">;
/** What erasing a person removed or blanked, counted per kind, and the pseudonym of their audit events. */
export type Erasure = Success<"eraseUser">;
export type EraseRequest = Body<"eraseInvitee">;
export type Member = Success<"getMember">;
export type MemberUpdate = Body<"updateMember">;
export type Role = Success<"createRole">;
export type RoleCreate = Body<"createRole">;
export type APIKey = Success<"listAPIKeys">["api_keys"][number];
export type APIKeyCreate = Body<"createAPIKey">;
/** A created API key, with its `secret` (absent in replays). */
export type APIKeyWithSecret = Success<"createAPIKey">;
export type Webhook = Success<"getWebhook">;
export type WebhookCreate = Body<"createWebhook">;
/** A created webhook endpoint, with its signing `secret` (absent in replays). */
export type WebhookWithSecret = Success<"createWebhook">;
export type AuditEvent = Success<"listAuditEvents">["events"][number];

// ---- errors --------------------------------------------------------------

/**
 * An answer of the service that is not a success. `code`, `message` and
 * `fields` are the server's `{"error":{"code","message","fields"}}`
 * unchanged; an answer without that shape (a proxy's error page, say) has
 * code `unexpected_response` and the start of the body as its message.
 * Network failures are not InvitedErrors: fetch's own error propagates.
 */
export class InvitedError extends Error {
  override readonly name = "InvitedError";
  /** HTTP status, e.g. 404. */
  readonly status: number;
  /** The stable error code, e.g. `not_found`, `invitation_exists`. */
  readonly code: string;
  /** Invalid request fields, each with what is wrong with it (400). */
  readonly fields: Record<string, string>;
  /** With `invitation_exists`: the id of the open invitation to the same invitee. */
  readonly existingId?: string;
  /** Seconds to wait, from `Retry-After` (429). */
  readonly retryAfter?: number;
  /** The request's `X-Request-Id`, which finds it in the server's log. */
  readonly requestId?: string;
  /** The answer's body as parsed (JSON) or read (text). */
  readonly body: unknown;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    fields?: Record<string, string>;
    existingId?: string;
    retryAfter?: number;
    requestId?: string;
    body?: unknown;
  }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.fields = init.fields ?? {};
    this.existingId = init.existingId;
    this.retryAfter = init.retryAfter;
    this.requestId = init.requestId;
    this.body = init.body;
  }

  /** Builds the error of a failed answer whose body openapi-fetch has read. */
  static fromResponse(response: Response, body: unknown): InvitedError {
    const retryAfter = retryAfterSeconds(response.headers.get("Retry-After"), Date.now());
    const requestId = response.headers.get("X-Request-Id") ?? undefined;
    const detail = isObject(body) && isObject(body.error) ? body.error : undefined;
    if (detail && typeof detail.code === "string" && typeof detail.message === "string") {
      return new InvitedError({
        status: response.status,
        code: detail.code,
        message: detail.message,
        fields: isObject(detail.fields) ? (detail.fields as Record<string, string>) : undefined,
        existingId: typeof detail.existing_id === "string" ? detail.existing_id : undefined,
        retryAfter,
        requestId,
        body,
      });
    }
    // openapi-fetch reads an empty error answer (Content-Length: 0) as undefined.
    const text = typeof body === "string" ? body : body === undefined ? "" : JSON.stringify(body);
    return new InvitedError({
      status: response.status,
      code: "unexpected_response",
      message: `HTTP ${response.status}${text ? ": " + text.slice(0, 200) : ""}`,
      retryAfter,
      requestId,
      body,
    });
  }
}

/**
 * Reads a Retry-After header, delay-seconds or an HTTP date, as whole
 * seconds from now; undefined when absent or unreadable, as the Go client
 * reads it.
 */
function retryAfterSeconds(value: string | null, now: number): number | undefined {
  const v = value?.trim();
  if (!v) {
    return undefined;
  }
  if (/^\d+$/.test(v)) {
    return Number(v);
  }
  const at = Date.parse(v);
  return Number.isNaN(at) || at <= now ? undefined : Math.ceil((at - now) / 1000);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Unwraps an openapi-fetch result: the data of a success, or a thrown
 * InvitedError. For calls through `client.raw`:
 *
 *	const org = await unwrap(client.raw.GET("/v1/orgs/{org}", { params: { path: { org: id } } }));
 */
export async function unwrap<D>(
  result: Promise<{ data?: D; error?: unknown; response: Response }>,
): Promise<D> {
  const { data, error, response } = await result;
  if (!response.ok) {
    throw InvitedError.fromResponse(response, error);
  }
  return data as D;
}

// ---- pagination ----------------------------------------------------------

/**
 * Follows `next_page_token` from the first page to the last (an empty
 * token), yielding every item. `page` fetches one page given a token
 * (undefined for the first) and answers its items and `next_page_token`.
 */
export async function* paginate<T>(
  page: (pageToken: string | undefined) => Promise<{ items: T[]; next: string }>,
): AsyncGenerator<T, void, undefined> {
  let token: string | undefined;
  for (;;) {
    const { items, next } = await page(token);
    yield* items;
    if (!next) {
      return;
    }
    token = next;
  }
}

// ---- the client ----------------------------------------------------------

export interface ClientOptions {
  /** The service's base URL, e.g. `https://invited.example.com`. */
  baseUrl: string;
  /** An API key (`ik_…`) or a user access token, sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Act for this user (`usr_…` or external id) with an API key: `Invited-Acting-User`. */
  actingUser?: string;
  /** A fetch to use instead of the global one (tests, proxies, retries). */
  fetch?: (input: Request) => Promise<Response>;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

/** Per-request options. */
export interface RequestOptions {
  /** Sent as `Idempotency-Key` (creates): a retry with the same key and body replays the first answer. */
  idempotencyKey?: string;
  /** Act for this user on this request only (`Invited-Acting-User`). */
  actingUser?: string;
  /** Extra headers for this request. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

function init(opts: RequestOptions | undefined) {
  const headers: Record<string, string> = { ...opts?.headers };
  if (opts?.idempotencyKey !== undefined) {
    headers["Idempotency-Key"] = opts.idempotencyKey;
  }
  if (opts?.actingUser !== undefined) {
    headers["Invited-Acting-User"] = opts.actingUser;
  }
  return { headers, signal: opts?.signal };
}

/**
 * The invited API. Methods answer the server's JSON as typed by the spec
 * and throw InvitedError for any answer that is not a success.
 */
export class InvitedClient {
  /**
   * The underlying openapi-fetch client, typed over every path of the spec,
   * for operations without a named method here. It answers openapi-fetch's
   * `{data, error, response}`; wrap calls in `unwrap` to get InvitedError.
   */
  readonly raw: Client<paths>;

  constructor(options: ClientOptions) {
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    if (options.apiKey) {
      headers.Authorization = `Bearer ${options.apiKey}`;
    }
    if (options.actingUser) {
      headers["Invited-Acting-User"] = options.actingUser;
    }
    this.raw = createFetchClient<paths>({
      baseUrl: options.baseUrl.replace(/\/+$/, ""),
      headers,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  readonly orgs = {
    create: (body: OrganizationCreate, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/orgs", { body, ...init(opts) })),
    list: (query?: Query<"listOrganizations">, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/orgs", { params: { query }, ...init(opts) })),
    iterate: (query?: ListQuery<"listOrganizations">, opts?: RequestOptions) =>
      paginate(async (page_token) => {
        const p = await this.orgs.list({ ...query, page_token }, opts);
        return { items: p.orgs, next: p.next_page_token };
      }),
    get: (org: string, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/orgs/{org}", { params: { path: { org } }, ...init(opts) })),
    update: (org: string, body: OrganizationUpdate, opts?: RequestOptions) =>
      unwrap(this.raw.PATCH("/v1/orgs/{org}", { params: { path: { org } }, body, ...init(opts) })),
    /**
     * Joins through the verified domain of the caller's verified address, by its policy:
     * auto makes a membership, request files a join request with `body.message`.
     * For a user token, or a key acting for a user.
     */
    join: (org: string, body: JoinRequestCreate = {}, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/orgs/{org}/join", { params: { path: { org } }, body, ...init(opts) })),
  };

  /** The caller as a person: a user token, or a key acting for a user. */
  readonly me = {
    /** The organizations the verified domain of the caller's verified address opens, with their policies. */
    joinableOrgs: (opts?: RequestOptions) => unwrap(this.raw.GET("/v1/me/joinable-orgs", { ...init(opts) })),
  };

  readonly invitations = {
    /** Creates (and unless `send: false`, sends) an invitation; the answer's `url` is the secret link. */
    create: (org: string, body: InvitationCreate, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/orgs/{org}/invitations", { params: { path: { org } }, body, ...init(opts) })),
    /** Up to 1000 invitations; each result holds its invitation and url, or its error. */
    createBatch: (org: string, body: BatchRequest, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/orgs/{org}/invitations/batch", { params: { path: { org } }, body, ...init(opts) })),
    list: (query?: Query<"listInvitations">, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/invitations", { params: { query }, ...init(opts) })),
    iterate: (query?: ListQuery<"listInvitations">, opts?: RequestOptions) =>
      paginate(async (page_token) => {
        const p = await this.invitations.list({ ...query, page_token }, opts);
        return { items: p.invitations, next: p.next_page_token };
      }),
    get: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/invitations/{id}", { params: { path: { id } }, ...init(opts) })),
    /** Sends a draft: draft → pending, with a link. */
    send: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/invitations/{id}/send", { params: { path: { id } }, ...init(opts) })),
    /** A new link, delivered again; the previous link stops working. */
    resend: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/invitations/{id}/resend", { params: { path: { id } }, ...init(opts) })),
    /** A new expiry (`expires_in` or `expires_at`, else the organization's TTL); same link. */
    renew: (id: string, body: Renewal = {}, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/invitations/{id}/renew", { params: { path: { id } }, body, ...init(opts) })),
    revoke: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/invitations/{id}/revoke", { params: { path: { id } }, ...init(opts) })),
    /** Files away an accepted invitation. */
    archive: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/invitations/{id}/archive", { params: { path: { id } }, ...init(opts) })),
  };

  /** The public side of an invitation link, by its token (the last segment of `url`). */
  readonly tokens = {
    preview: (token: string, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/invitation-tokens/{token}", { params: { path: { token } }, ...init(opts) })),
    /** With an API key, `body.user` names the person the host app vouches for; with a user token it may be empty. */
    accept: (token: string, body: AcceptRequest = {}, opts?: RequestOptions) =>
      unwrap(
        this.raw.POST("/v1/invitation-tokens/{token}/accept", { params: { path: { token } }, body, ...init(opts) }),
      ),
    decline: (token: string, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/invitation-tokens/{token}/decline", { params: { path: { token } }, ...init(opts) })),
  };

  readonly joinLinks = {
    /** Creates a multi-use link into the organization; the answer's `token` and `url` are its secret, shown only here. */
    create: (org: string, body: JoinLinkCreate, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/orgs/{org}/join-links", { params: { path: { org } }, body, ...init(opts) })),
    list: (org: string, query?: Query<"listJoinLinks">, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/orgs/{org}/join-links", { params: { path: { org }, query }, ...init(opts) })),
    iterate: (org: string, query?: ListQuery<"listJoinLinks">, opts?: RequestOptions) =>
      paginate(async (page_token) => {
        const p = await this.joinLinks.list(org, { ...query, page_token }, opts);
        return { items: p.join_links, next: p.next_page_token };
      }),
    get: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/join-links/{id}", { params: { path: { id } }, ...init(opts) })),
    /** The link stops working at once; who joined through it stays a member. */
    revoke: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/join-links/{id}/revoke", { params: { path: { id } }, ...init(opts) })),
    /** A new secret, in the answer only; the previous link stops working. */
    rotate: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/join-links/{id}/rotate", { params: { path: { id } }, ...init(opts) })),
  };

  /** The public side of a join link, by its token (`token`, or the last segment of `url`). */
  readonly joinLinkTokens = {
    preview: (token: string, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/join-link-tokens/{token}", { params: { path: { token } }, ...init(opts) })),
    /** As `tokens.accept`: with an API key, `body.user` names the person; with a user token it may be empty. */
    accept: (token: string, body: AcceptRequest = {}, opts?: RequestOptions) =>
      unwrap(
        this.raw.POST("/v1/join-link-tokens/{token}/accept", { params: { path: { token } }, body, ...init(opts) }),
      ),
  };

  readonly joinRequests = {
    /** Asks to join as the person the client acts for (a user token, or a key acting for a user). */
    create: (org: string, body: JoinRequestCreate = {}, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/orgs/{org}/join-requests", { params: { path: { org } }, body, ...init(opts) })),
    list: (org: string, query?: Query<"listJoinRequests">, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/orgs/{org}/join-requests", { params: { path: { org }, query }, ...init(opts) })),
    iterate: (org: string, query?: ListQuery<"listJoinRequests">, opts?: RequestOptions) =>
      paginate(async (page_token) => {
        const p = await this.joinRequests.list(org, { ...query, page_token }, opts);
        return { items: p.join_requests, next: p.next_page_token };
      }),
    get: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/join-requests/{id}", { params: { path: { id } }, ...init(opts) })),
    /** Lets the requester in, with `body.roles` when given; the requester is told, with `body.note`. */
    approve: (id: string, body: JoinDecision = {}, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/join-requests/{id}/approve", { params: { path: { id } }, body, ...init(opts) })),
    deny: (id: string, body: JoinDecision = {}, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/join-requests/{id}/deny", { params: { path: { id } }, body, ...init(opts) })),
  };

  readonly domains = {
    /** Claims an email domain; the pending answer's `challenge` is the TXT record to publish before verifying. */
    create: (org: string, body: DomainCreate, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/orgs/{org}/domains", { params: { path: { org } }, body, ...init(opts) })),
    list: (org: string, query?: Query<"listDomains">, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/orgs/{org}/domains", { params: { path: { org }, query }, ...init(opts) })),
    iterate: (org: string, query?: ListQuery<"listDomains">, opts?: RequestOptions) =>
      paginate(async (page_token) => {
        const p = await this.domains.list(org, { ...query, page_token }, opts);
        return { items: p.domains, next: p.next_page_token };
      }),
    get: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/domains/{id}", { params: { path: { id } }, ...init(opts) })),
    /** Changes the policy or roles; absent fields stay. */
    update: (id: string, body: DomainUpdate, opts?: RequestOptions) =>
      unwrap(this.raw.PATCH("/v1/domains/{id}", { params: { path: { id } }, body, ...init(opts) })),
    /** Withdraws the claim, pending or verified; who joined through it stays a member. */
    delete: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.DELETE("/v1/domains/{id}", { params: { path: { id } }, ...init(opts) })),
    /**
     * Looks up the challenge record (409 `domain_not_verified` while it is missing),
     * or with `{ method: "admin" }` and an admin key marks the domain verified without DNS.
     */
    verify: (id: string, body: DomainVerify = {}, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/domains/{id}/verify", { params: { path: { id } }, body, ...init(opts) })),
  };

  readonly members = {
    list: (org: string, query?: Query<"listMembers">, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/orgs/{org}/members", { params: { path: { org }, query }, ...init(opts) })),
    iterate: (org: string, query?: ListQuery<"listMembers">, opts?: RequestOptions) =>
      paginate(async (page_token) => {
        const p = await this.members.list(org, { ...query, page_token }, opts);
        return { items: p.members, next: p.next_page_token };
      }),
    get: (org: string, user: string, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/orgs/{org}/members/{user}", { params: { path: { org, user } }, ...init(opts) })),
    update: (org: string, user: string, body: MemberUpdate, opts?: RequestOptions) =>
      unwrap(
        this.raw.PATCH("/v1/orgs/{org}/members/{user}", { params: { path: { org, user } }, body, ...init(opts) }),
      ),
    remove: (org: string, user: string, opts?: RequestOptions) =>
      unwrap(this.raw.DELETE("/v1/orgs/{org}/members/{user}", { params: { path: { org, user } }, ...init(opts) })),
  };

  /** Erasing people's personal data (an admin key). */
  readonly users = {
    /** Erases a user, and the further addresses in `body`. */
    erase: (id: string, body: EraseRequest = {}, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/users/{id}/erase", { params: { path: { id } }, body, ...init(opts) })),
    /** Erases the email or phone of someone who was only invited, and the user with that email if any. */
    eraseInvitee: (body: EraseRequest, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/invitees/erase", { body, ...init(opts) })),
  };

  readonly roles = {
    list: (org: string, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/orgs/{org}/roles", { params: { path: { org } }, ...init(opts) })),
    create: (org: string, body: RoleCreate, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/orgs/{org}/roles", { params: { path: { org } }, body, ...init(opts) })),
  };

  readonly apiKeys = {
    /** The answer's `secret` is shown only here. */
    create: (body: APIKeyCreate, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/api-keys", { body, ...init(opts) })),
    list: (query?: Query<"listAPIKeys">, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/api-keys", { params: { query }, ...init(opts) })),
    iterate: (query?: ListQuery<"listAPIKeys">, opts?: RequestOptions) =>
      paginate(async (page_token) => {
        const p = await this.apiKeys.list({ ...query, page_token }, opts);
        return { items: p.api_keys, next: p.next_page_token };
      }),
    /** Revokes the key. */
    delete: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.DELETE("/v1/api-keys/{id}", { params: { path: { id } }, ...init(opts) })),
  };

  readonly webhooks = {
    /** The answer's signing `secret` (`whsec_…`) is shown only here. */
    create: (body: WebhookCreate, opts?: RequestOptions) =>
      unwrap(this.raw.POST("/v1/webhooks", { body, ...init(opts) })),
    list: (query?: Query<"listWebhooks">, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/webhooks", { params: { query }, ...init(opts) })),
    iterate: (query?: ListQuery<"listWebhooks">, opts?: RequestOptions) =>
      paginate(async (page_token) => {
        const p = await this.webhooks.list({ ...query, page_token }, opts);
        return { items: p.webhooks, next: p.next_page_token };
      }),
    get: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/webhooks/{id}", { params: { path: { id } }, ...init(opts) })),
    delete: (id: string, opts?: RequestOptions) =>
      unwrap(this.raw.DELETE("/v1/webhooks/{id}", { params: { path: { id } }, ...init(opts) })),
  };

  readonly auditEvents = {
    list: (query?: Query<"listAuditEvents">, opts?: RequestOptions) =>
      unwrap(this.raw.GET("/v1/audit-events", { params: { query }, ...init(opts) })),
    iterate: (query?: ListQuery<"listAuditEvents">, opts?: RequestOptions) =>
      paginate(async (page_token) => {
        const p = await this.auditEvents.list({ ...query, page_token }, opts);
        return { items: p.events, next: p.next_page_token };
      }),
  };
}

/** The token of an invitation or join link (`{public URL}/i/{token}`, `/j/{token}`): its last path segment. */
export function tokenFromURL(url: string): string {
  const segments = new URL(url).pathname.split("/");
  return decodeURIComponent(segments[segments.length - 1] ?? "");
}
