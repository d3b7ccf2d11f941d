// The client against a live invited server: INVITED_URL and INVITED_API_KEY
// (an admin key) name it. clients/typescript/typescript_test.go starts one
// and runs `npm test` with both set; to run by hand, start `invited serve`
// with INVITED_ADMIN_API_KEY and set the two variables.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, test } from "node:test";

import { InvitedClient, InvitedError, paginate, tokenFromURL, type Organization } from "../src/index.js";

const baseUrl = process.env.INVITED_URL ?? "";
const apiKey = process.env.INVITED_API_KEY ?? "";

/** Asserts that fn rejects with an InvitedError of this status and code, and returns it. */
async function rejectsWith(fn: () => Promise<unknown>, status: number, code: string): Promise<InvitedError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof InvitedError, `expected an InvitedError, got ${String(err)}`);
    assert.equal(err.status, status, `status of ${err.code}: ${err.message}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${status} ${code}, but the call succeeded`);
}

/** A fetch that records every exchange, for what the named methods do not show (headers, page requests). */
function recordingFetch() {
  const exchanges: { request: Request; response: Response }[] = [];
  const fetch = async (request: Request) => {
    const response = await globalThis.fetch(request);
    exchanges.push({ request, response });
    return response;
  };
  return { exchanges, fetch };
}

describe("invited client against a live server", () => {
  const rec = recordingFetch();
  let client: InvitedClient;
  let org: Organization;

  before(async () => {
    assert.ok(baseUrl && apiKey, "set INVITED_URL and INVITED_API_KEY (an admin key) to a running invited");
    client = new InvitedClient({ baseUrl, apiKey, fetch: rec.fetch });
    org = await client.orgs.create({ name: "Acme TS " + randomUUID().slice(0, 8) });
  });

  test("organizations: create, get, list", async () => {
    assert.match(org.id, /^org_/);
    const got = await client.orgs.get(org.id);
    assert.equal(got.name, org.name);
    const ids: string[] = [];
    for await (const o of client.orgs.iterate({ page_size: 1 })) {
      ids.push(o.id);
    }
    assert.ok(ids.includes(org.id), `iterated orgs ${ids.join(",")} lack ${org.id}`);
  });

  test("invite, preview, accept, members", async () => {
    const key = randomUUID();
    const inv = await client.invitations.create(
      org.id,
      { email: "ann@example.com", roles: ["member"], first_name: "Ann", message: "Welcome!" },
      { idempotencyKey: key },
    );
    assert.match(inv.id, /^inv_/);
    assert.equal(inv.status, "pending");
    assert.ok(inv.url, "a created invitation carries its link");
    const token = tokenFromURL(inv.url);
    const sent = rec.exchanges.at(-1)!;
    assert.equal(sent.request.headers.get("Idempotency-Key"), key);
    assert.equal(sent.request.headers.get("Authorization"), `Bearer ${apiKey}`);

    // The same key and body replay the first answer, without the secret link.
    const replay = await client.invitations.create(
      org.id,
      { email: "ann@example.com", roles: ["member"], first_name: "Ann", message: "Welcome!" },
      { idempotencyKey: key },
    );
    assert.equal(replay.id, inv.id);
    assert.equal(replay.url, undefined);
    assert.equal(rec.exchanges.at(-1)!.response.headers.get("Idempotent-Replayed"), "true");

    // Without the key, a second invitation to the same person is a conflict naming the first.
    const dup = await rejectsWith(
      () => client.invitations.create(org.id, { email: "ann@example.com", roles: ["member"] }),
      409,
      "invitation_exists",
    );
    assert.equal(dup.existingId, inv.id);
    assert.ok(dup.requestId, "errors carry the request id");

    const preview = await client.tokens.preview(token);
    assert.equal(preview.status, "pending");
    assert.deepEqual(preview.organization, { id: org.id, name: org.name });
    assert.equal(preview.invitee.first_name, "Ann");
    assert.deepEqual(preview.roles, ["member"]);

    const acc = await client.tokens.accept(token, {
      user: { external_id: "ann-ts-1", email: "ann@example.com", name: "Ann Example" },
    });
    assert.equal(acc.invitation?.status, "accepted");
    assert.ok(acc.user?.id.startsWith("usr_"));
    // The first member of an organization also becomes owner.
    assert.deepEqual([...(acc.membership?.roles ?? [])].sort(), ["member", "owner"]);

    await rejectsWith(
      () => client.tokens.accept(token, { user: { external_id: "ann-ts-1" } }),
      409,
      "invitation_already_accepted",
    );

    const members = await client.members.list(org.id);
    assert.deepEqual(
      members.members.map((m) => m.user_id),
      [acc.user!.id],
    );
    assert.equal(members.next_page_token, "");
    assert.equal((await client.invitations.get(inv.id)).status, "accepted");
  });

  test("errors: the server's code, message and fields unchanged", async () => {
    const notFound = await rejectsWith(() => client.tokens.preview("made-up-token-" + randomUUID()), 404, "not_found");
    assert.ok(notFound.message.length > 0);
    assert.ok(notFound instanceof Error);

    const bad = await rejectsWith(
      () => client.invitations.create(org.id, { email: "bob@example.com", roles: ["emperor"] }),
      400,
      "invalid_request",
    );
    assert.ok("roles" in bad.fields, `fields ${JSON.stringify(bad.fields)} name roles`);
    assert.deepEqual(bad.body, { error: { code: bad.code, message: bad.message, fields: bad.fields } });

    const anon = new InvitedClient({ baseUrl });
    await rejectsWith(() => anon.orgs.list(), 401, "unauthenticated");
  });

  test("batch, paged listing, revoke, renew, resend, decline", async () => {
    // An organization of its own, so that only these invitations are pending there.
    const org = await client.orgs.create({ name: "Batch " + randomUUID().slice(0, 8) });
    const emails = ["p1", "p2", "p3", "p4", "p5"].map((p) => `${p}@example.com`);
    const batch = await client.invitations.createBatch(org.id, {
      invitations: [...emails.map((email) => ({ email, roles: ["member"] })), { email: "p6@example.com", roles: ["emperor"] }],
    });
    assert.equal(batch.results.length, 6);
    const created = batch.results.slice(0, 5).map((r) => {
      assert.ok(r.invitation, `item ${r.index}: ${JSON.stringify(r.error)}`);
      return r.invitation;
    });
    assert.equal(batch.results[5]?.error?.code, "invalid_request", "one bad item does not sink the rest");

    const before = rec.exchanges.length;
    const listed: string[] = [];
    for await (const inv of client.invitations.iterate({ org_id: org.id, status: "pending", page_size: 2 })) {
      listed.push(inv.id);
    }
    assert.deepEqual([...listed].sort(), created.map((i) => i.id).sort());
    const pages = rec.exchanges.slice(before).map((e) => new URL(e.request.url));
    assert.equal(pages.length, 3, "5 items at 2 a page are 3 pages");
    assert.equal(pages[0]!.searchParams.has("page_token"), false);
    assert.ok(pages[1]!.searchParams.get("page_token"), "the second page asks with the first's token");

    const [a, b, c] = created as [(typeof created)[0], (typeof created)[0], (typeof created)[0]];
    assert.equal((await client.invitations.revoke(a.id)).status, "revoked");

    const renewed = await client.invitations.renew(b.id, { expires_in: "72h" });
    assert.equal(renewed.status, "pending");
    assert.notEqual(renewed.expires_at, b.expires_at);

    // Sent a moment ago: resending now is rate-limited, and says for how long.
    const limited = await rejectsWith(() => client.invitations.resend(c.id), 429, "rate_limited");
    assert.ok(
      limited.retryAfter !== undefined && limited.retryAfter > 0 && limited.retryAfter <= 60,
      `retryAfter ${limited.retryAfter}`,
    );

    const url = batch.results[3]?.url;
    assert.ok(url);
    const declined = await client.tokens.decline(tokenFromURL(url));
    assert.equal(declined.status, "declined");
  });

  test("join requests: ask as a person, list, approve, deny", async () => {
    const home = await client.orgs.create({ name: "Home " + randomUUID().slice(0, 8) });
    const org = await client.orgs.create({ name: "Asked " + randomUUID().slice(0, 8) });
    const link = await client.joinLinks.create(home.id, {});
    const id = randomUUID().slice(0, 8);
    for (const p of [`ann-jr-${id}`, `bob-jr-${id}`]) {
      await client.joinLinkTokens.accept(link.token!, { user: { external_id: p } });
    }
    const ask = async (who: string) => {
      const r = await client.joinRequests.create(org.id, { message: "hello" }, { actingUser: who });
      assert.equal(r.status, "pending");
      return r;
    };
    const ann = await ask(`ann-jr-${id}`);
    const bob = await ask(`bob-jr-${id}`);
    await rejectsWith(() => client.joinRequests.create(org.id), 403, "forbidden");
    const pending: string[] = [];
    for await (const r of client.joinRequests.iterate(org.id, { status: "pending", page_size: 1 })) {
      pending.push(r.id);
    }
    assert.deepEqual(pending, [bob.id, ann.id], "newest first");
    const approved = await client.joinRequests.approve(ann.id, { note: "welcome" });
    assert.equal(approved.request?.status, "approved");
    assert.equal(approved.membership?.org_id, org.id);
    const denied = await client.joinRequests.deny(bob.id, { note: "no" });
    assert.equal(denied.membership, null);
    assert.equal((await client.joinRequests.get(bob.id)).decision_note, "no");
  });

  test("join links: create, preview, accept until used up, list, rotate, revoke", async () => {
    const org = await client.orgs.create({ name: "Join " + randomUUID().slice(0, 8) });
    const link = await client.joinLinks.create(org.id, { roles: ["member"], max_uses: 2, note: "offsite" });
    assert.match(link.id, /^jln_/);
    assert.ok(link.token && link.url, "a created join link carries its token and link");
    assert.equal(tokenFromURL(link.url), link.token);
    const got = await client.joinLinks.get(link.id);
    assert.equal(got.note, "offsite");
    assert.equal("token" in got, false, "the token is shown only at creation");

    const anon = new InvitedClient({ baseUrl });
    const preview = await anon.joinLinkTokens.preview(link.token);
    assert.equal(preview.usable, true);
    assert.deepEqual(preview.organization, { id: org.id, name: org.name });
    assert.deepEqual(preview.roles, ["member"]);

    const id = randomUUID().slice(0, 8);
    const ann = { user: { external_id: `ann-jl-${id}`, email: `ann-${id}@example.com` } };
    const joined = await client.joinLinkTokens.accept(link.token, ann);
    assert.equal(joined.joined, true);
    assert.equal(joined.membership?.org_id, org.id);
    assert.equal((await client.joinLinkTokens.accept(link.token, ann)).joined, false, "a second use changes nothing");
    await client.joinLinkTokens.accept(link.token, { user: { external_id: `bob-jl-${id}` } });
    await rejectsWith(
      () => client.joinLinkTokens.accept(link.token!, { user: { external_id: `cy-jl-${id}` } }),
      410,
      "join_link_exhausted",
    );
    const exhausted = await client.joinLinks.get(link.id);
    assert.equal(exhausted.status, "exhausted");
    assert.equal(exhausted.uses, 2);

    const open = await client.joinLinks.create(org.id, {});
    const before = rec.exchanges.length;
    const listed: string[] = [];
    for await (const l of client.joinLinks.iterate(org.id, { page_size: 1 })) {
      listed.push(l.id);
    }
    assert.deepEqual(listed, [open.id, link.id], "newest first");
    assert.equal(rec.exchanges.length - before, 2, "2 links at 1 a page are 2 pages");
    const active = await client.joinLinks.list(org.id, { status: "active" });
    assert.deepEqual(
      active.join_links.map((l) => l.id),
      [open.id],
    );

    const rotated = await client.joinLinks.rotate(open.id);
    assert.equal(rotated.id, open.id);
    assert.ok(rotated.token && rotated.token !== open.token, "rotating issues a new token");
    await rejectsWith(() => anon.joinLinkTokens.preview(open.token!), 404, "not_found");
    assert.equal((await client.joinLinks.revoke(open.id)).status, "revoked");
    assert.equal((await anon.joinLinkTokens.preview(rotated.token)).usable, false);
    await rejectsWith(() => client.joinLinkTokens.accept(rotated.token!, ann), 410, "invitation_revoked");
  });

  test("domains: claim, verify by the admin, update, list, join as a person, delete", async () => {
    const id = randomUUID().slice(0, 8);
    const home = await client.orgs.create({ name: "Home " + id });
    const org = await client.orgs.create({ name: "Domain " + id });
    const name = `ts-${id}.test`;
    const d = await client.domains.create(org.id, { domain: name.toUpperCase(), policy: "auto" });
    assert.match(d.id, /^dom_/);
    assert.equal(d.domain, name);
    assert.equal(d.status, "pending");
    assert.equal(d.challenge.type, "TXT");
    assert.equal(d.challenge.name, `_invited-challenge.${name}`);
    assert.match(d.challenge.value, /^invited-domain-verification=/);

    const verified = await client.domains.verify(d.id, { method: "admin" });
    assert.equal(verified.status, "verified");
    assert.equal(verified.verification_method, "admin");
    await rejectsWith(() => client.domains.verify(d.id), 409, "invalid_state");
    assert.equal((await client.domains.update(d.id, { policy: "request" })).policy, "request");
    assert.equal((await client.domains.get(d.id)).policy, "request");
    const listed: string[] = [];
    for await (const x of client.domains.iterate(org.id, { status: "verified", page_size: 1 })) {
      listed.push(x.id);
    }
    assert.deepEqual(listed, [d.id]);
    assert.deepEqual((await client.domains.list(org.id, { status: "pending" })).domains, []);

    // Ann exists once she joined Home; the admin key vouched for her address.
    const link = await client.joinLinks.create(home.id, {});
    const ann = await client.joinLinkTokens.accept(link.token!, {
      user: { external_id: `ann-dom-${id}`, email: `ann@${name}` },
    });
    const asAnn = { actingUser: ann.user!.id };
    const joinable = await client.me.joinableOrgs(asAnn);
    assert.deepEqual(joinable.joinable_orgs, [
      { organization: { id: org.id, name: org.name }, domain: name, policy: "request" },
    ]);
    const asked = await client.orgs.join(org.id, { message: "hello" }, asAnn);
    assert.equal(asked.joined, false);
    assert.equal(asked.membership, null);
    assert.equal(asked.request?.status, "pending");
    assert.equal(asked.request?.via, "domain");
    await rejectsWith(() => client.orgs.join(org.id), 403, "forbidden");

    assert.equal(await client.domains.delete(d.id), undefined);
    await rejectsWith(() => client.domains.get(d.id), 404, "not_found");
  });

  test("api keys: an organization-bound key sees its organization only", async () => {
    const key = await client.apiKeys.create({ name: "ts reader", org_id: org.id, permissions: ["members:read"] });
    assert.ok(key.secret?.startsWith("ik_"));
    const scoped = new InvitedClient({ baseUrl, apiKey: key.secret! });
    assert.equal((await scoped.orgs.get(org.id)).id, org.id);
    const other = await client.orgs.create({ name: "Other " + randomUUID().slice(0, 8) });
    await rejectsWith(() => scoped.orgs.get(other.id), 404, "not_found");

    const keys: string[] = [];
    for await (const k of client.apiKeys.iterate({ org_id: org.id })) {
      keys.push(k.id);
    }
    assert.deepEqual(keys, [key.id]);
    await client.apiKeys.delete(key.id);
    await rejectsWith(() => scoped.orgs.get(org.id), 401, "unauthenticated");
  });

  test("webhooks: create shows the secret once, list, get, delete", async () => {
    const hook = await client.webhooks.create({
      org_id: org.id,
      url: "http://127.0.0.1:9/hook",
      events: ["invitation.accepted"],
    });
    assert.ok(hook.secret?.startsWith("whsec_"));
    const got = await client.webhooks.get(hook.id);
    assert.equal(got.url, hook.url);
    assert.equal("secret" in got, false, "the secret is shown only at creation");
    assert.ok((await client.webhooks.list({ org_id: org.id })).webhooks.some((w) => w.id === hook.id));
    assert.equal(await client.webhooks.delete(hook.id), undefined);
    await rejectsWith(() => client.webhooks.get(hook.id), 404, "not_found");
  });

  test("raw: every path typed, errors through unwrap", async () => {
    const { data, error, response } = await client.raw.GET("/v1/orgs/{org}/roles", {
      params: { path: { org: org.id } },
    });
    assert.equal(response.status, 200);
    assert.equal(error, undefined);
    assert.ok(data?.roles.some((r) => r.name === "owner"));
  });
});

describe("client without a server", () => {
  test("a non-JSON error answer is an InvitedError with code unexpected_response", async () => {
    const client = new InvitedClient({
      baseUrl: "http://invited.invalid",
      fetch: async () =>
        new Response("<html>bad gateway</html>", {
          status: 502,
          headers: { "Content-Type": "text/html", "Retry-After": "7", "X-Request-Id": "req-1" },
        }),
    });
    const err = await rejectsWith(() => client.orgs.list(), 502, "unexpected_response");
    assert.match(err.message, /bad gateway/);
    assert.equal(err.retryAfter, 7);
    assert.equal(err.requestId, "req-1");
  });

  test("an empty error answer says its status only; Retry-After may be an HTTP date", async () => {
    const client = new InvitedClient({
      baseUrl: "http://invited.invalid",
      fetch: async () =>
        new Response(null, {
          status: 503,
          headers: { "Content-Length": "0", "Retry-After": new Date(Date.now() + 30_000).toUTCString() },
        }),
    });
    const err = await rejectsWith(() => client.orgs.list(), 503, "unexpected_response");
    assert.equal(err.message, "HTTP 503");
    assert.equal(err.body, undefined);
    assert.ok(
      err.retryAfter !== undefined && err.retryAfter > 25 && err.retryAfter <= 31,
      `retryAfter ${err.retryAfter}`,
    );
  });

  test("paginate stops at the empty token", async () => {
    const pages: Record<string, { items: number[]; next: string }> = {
      "": { items: [1, 2], next: "t2" },
      t2: { items: [3], next: "t3" },
      t3: { items: [], next: "" },
    };
    const asked: (string | undefined)[] = [];
    const got: number[] = [];
    for await (const n of paginate(async (token) => {
      asked.push(token);
      return pages[token ?? ""]!;
    })) {
      got.push(n);
    }
    assert.deepEqual(got, [1, 2, 3]);
    assert.deepEqual(asked, [undefined, "t2", "t3"]);
  });

  test("tokenFromURL takes the link's last segment", () => {
    assert.equal(tokenFromURL("https://invited.example.com/i/abc_DEF-123"), "abc_DEF-123");
    assert.equal(tokenFromURL("https://invited.example.com/j/abc_DEF-123"), "abc_DEF-123");
  });
});
