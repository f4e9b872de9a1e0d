/**
 * The adversarial table: the real CLI against a provider that is correct in
 * all but one named way per scenario, covering ../shared/SECURITY.md
 * sections A–D. Each hostile scenario must be refused with the right exit
 * code and a message that names the problem, with nothing stored; the
 * scenarios a correct client must survive must succeed.
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import {
  AUTH_URL,
  cliEnv,
  runCli,
  type RunningCli,
  spawnCli,
} from "../support/cli.ts";
import {
  type Hostile,
  type HostileProvider,
  startHostileProvider,
} from "../support/hostile_provider.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { startE2e } from "../support/e2e.ts";

type Run = "loopback" | "device" | "refresh";

interface Row {
  /** SECURITY.md item. */
  item: string;
  name: string;
  run?: Run;
  setup(h: HostileProvider): void;
  /** More environment for the CLI. */
  env?: Record<string, string>;
  /** Exit code. */
  code: number;
  /** What stderr must say. */
  message?: RegExp;
  /** More checks on success. */
  check?(
    env: Record<string, string>,
    configDir: string,
    h: HostileProvider,
  ): Promise<void>;
}

const now = () => Math.floor(Date.now() / 1000);
const token = (h: HostileProvider, extra: Record<string, unknown>) => {
  h.hostile.token = async (_ctx, correct) =>
    Response.json({ ...await correct(), ...extra });
};
const tokenBody = (
  h: HostileProvider,
  body: string,
  type = "application/json",
) => {
  h.hostile.token = () =>
    Promise.resolve(new Response(body, { headers: { "content-type": type } }));
};
const idToken = (
  h: HostileProvider,
  claims: (c: Record<string, unknown>) => Record<string, unknown>,
  options: Parameters<Parameters<Hostile["token"]>[0]["sign"]>[1] = {},
) => {
  h.hostile.token = async (ctx, correct) =>
    Response.json({
      ...await correct(),
      id_token: await ctx.sign(claims(ctx.claims()), options),
    });
};
const callback = (h: HostileProvider, edit: (p: URLSearchParams) => string) => {
  h.hostile.callback = (_q, correct) => edit(new URLSearchParams(correct));
};
const status = async (env: Record<string, string>) =>
  JSON.parse((await runCli(["status", "--json"], env)).stdout);

/** How a refused ID-token algorithm is reported: by authctl's allow-list. */
const ALG_REFUSED =
  /ID token from "[^"]+" failed verification: "alg" \(Algorithm\) Header Parameter value not allowed\./;

/** The same, when oauth4webapi refuses an algorithm the metadata lacks. */
const OAUTH4WEBAPI_ALG_REFUSED =
  /token response is unusable: unexpected JWT "alg" header parameter\./;

const table: Row[] = [
  // A. The callback and the authorization response
  {
    item: "A4",
    name: "iss missing though advertised",
    setup: (h) => callback(h, (p) => (p.delete("iss"), p.toString())),
    code: 3,
    message: /iss/,
  },
  {
    item: "A4",
    name: "iss of another server",
    setup: (h) =>
      callback(
        h,
        (p) => (p.set("iss", "http://127.0.0.1:1/evil"), p.toString()),
      ),
    code: 3,
    message: /iss/,
  },
  {
    item: "A4",
    name: "an error response without iss is not trusted",
    setup: (h) =>
      callback(h, (p) => `error=access_denied&state=${p.get("state")}`),
    code: 3,
    message: /iss/,
  },
  {
    item: "A4",
    name: "an error response with iss is the provider refusing",
    setup: (h) =>
      callback(
        h,
        (p) =>
          `error=access_denied&error_description=No&state=${
            p.get("state")
          }&iss=${encodeURIComponent(p.get("iss")!)}`,
      ),
    code: 5,
    message: /access_denied/,
  },
  {
    item: "A5",
    name: "duplicate code",
    setup: (h) => callback(h, (p) => `${p}&code=other`),
    code: 3,
    message: /repeats the "code"/,
  },
  {
    item: "A5",
    name: "duplicate iss",
    setup: (h) =>
      callback(h, (p) => `${p}&iss=${encodeURIComponent(p.get("iss")!)}`),
    code: 3,
    message: /repeats the "iss"/,
  },
  {
    item: "A5",
    name: "a token in the callback",
    setup: (h) => callback(h, (p) => `${p}&access_token=leaked`),
    code: 3,
    message: /carries "access_token"/,
  },
  {
    item: "A6",
    name: "metadata without S256",
    setup: (
      h,
    ) => (h.hostile.metadata.code_challenge_methods_supported = ["plain"]),
    code: 3,
    message: /S256/,
  },
  {
    item: "A11",
    name: "metadata names another issuer",
    setup: (h) => (h.hostile.metadata.issuer = "https://evil.example"),
    code: 3,
    message: /names the issuer "https:\/\/evil\.example"/,
  },
  // B. Token endpoint responses
  {
    item: "B12",
    name: "a captive portal's HTML with 200",
    setup: (h) => tokenBody(h, "<html>Log in to the Wi-Fi</html>", "text/html"),
    code: 3,
    message: /token response is unusable/,
  },
  {
    item: "B12",
    name: "JSON null",
    setup: (h) => tokenBody(h, "null"),
    code: 3,
    message: /token response is unusable/,
  },
  {
    item: "B12",
    name: "JSON []",
    setup: (h) => tokenBody(h, "[]"),
    code: 3,
    message: /token response is unusable/,
  },
  {
    item: "B13",
    name: "access_token missing",
    setup: (h) => token(h, { access_token: undefined }),
    code: 3,
    message: /access_token/,
  },
  {
    item: "B13",
    name: "access_token empty",
    setup: (h) => token(h, { access_token: "" }),
    code: 3,
    message: /access_token/,
  },
  {
    item: "B13",
    name: "token_type missing",
    setup: (h) => token(h, { token_type: undefined }),
    code: 3,
    message: /token_type/,
  },
  {
    item: "B13",
    name: "token_type other than Bearer",
    setup: (h) => token(h, { token_type: "mac" }),
    code: 3,
    message: /token_type|mac/,
  },
  {
    item: "B13",
    name: "DPoP asked for, a Bearer token issued: refused, never a fallback",
    setup: (h) => {
      h.hostile.metadata = { dpop_signing_alg_values_supported: ["ES256"] };
    },
    env: { AUTHCTL_DPOP: "always" },
    code: 3,
    message: /DPoP was asked for.*"bearer".*never falls back/,
    check: async (_env, configDir) =>
      assertEquals(
        await new FileStore({ configDir }).get("default"),
        undefined,
      ),
  },
  {
    item: "B13",
    name:
      "dpop = always where the provider has no DPoP: refused before the browser",
    setup: () => {},
    env: { AUTHCTL_DPOP: "always" },
    code: 2,
    message: /does not support DPoP.*Set dpop to "auto" or "never"/,
    check: (_env, _dir, h) =>
      Promise.resolve(assertEquals(h.hits.get("/auth"), undefined)),
  },
  {
    item: "B13",
    name:
      "negative control: dpop = auto where the provider has no DPoP is Bearer",
    setup: () => {},
    env: { AUTHCTL_DPOP: "auto" },
    code: 0,
    check: async (_env, configDir) =>
      assertEquals(
        (await new FileStore({ configDir }).get("default"))?.dpop,
        undefined,
      ),
  },
  {
    item: "B13",
    name: "token_type in another letter case is accepted",
    setup: (h) => token(h, { token_type: "BEARER" }),
    code: 0,
  },
  {
    item: "B14",
    name: "expires_in missing is accepted",
    setup: (h) => token(h, { expires_in: undefined }),
    code: 0,
    check: async (env) => assertEquals((await status(env)).expiresAt, null),
  },
  {
    item: "B14",
    name: "expires_in not a number",
    setup: (h) => token(h, { expires_in: "soon" }),
    code: 3,
    message: /expires_in/,
  },
  {
    item: "B14",
    name: "expires_in negative",
    setup: (h) => token(h, { expires_in: -5 }),
    code: 3,
    message: /expires_in/,
  },
  {
    item: "B15",
    name: "scope missing: the requested one",
    setup: (h) => token(h, { scope: undefined }),
    code: 0,
    // What was requested: openid (its metadata lists no offline_access).
    check: async (env) => assertEquals((await status(env)).scopes, ["openid"]),
  },
  {
    item: "B15",
    name: "a narrower scope is stored and shown",
    setup: (h) => token(h, { scope: "openid" }),
    code: 0,
    check: async (env) => assertEquals((await status(env)).scopes, ["openid"]),
  },
  {
    item: "B17",
    name: "a redirect from the token endpoint is not followed",
    setup: (
      h,
    ) => (h.hostile.token = () =>
      Promise.resolve(
        new Response(null, {
          status: 307,
          headers: { location: `${h.issuer}/elsewhere` },
        }),
      )),
    code: 3,
    message: /redirect \(HTTP 307/,
    check: undefined,
  },
  {
    item: "B18",
    name: "a code exchange that fails ambiguously is not retried",
    setup: (
      h,
    ) => (h.hostile.token = () =>
      Promise.resolve(new Response("upstream timeout", { status: 504 }))),
    code: 3,
  },
  // C. ID tokens
  {
    item: "C19",
    name: "signed by an unpublished key",
    setup: (h) => idToken(h, (c) => c, { key: h.keys.stranger }),
    code: 3,
    message: /signature/,
  },
  {
    item: "C19",
    name: "alg none",
    setup: (h) => idToken(h, (c) => c, { alg: "none" }),
    code: 3,
    // Refused by oauth4webapi before authctl's own check runs.
    message: OAUTH4WEBAPI_ALG_REFUSED,
  },
  {
    item: "C19",
    name: "HS256 with the client ID as the secret",
    setup: (h) =>
      idToken(h, (c) => c, {
        alg: "HS256",
        key: new TextEncoder().encode("hostile-client-hostile-client-32"),
      }),
    code: 3,
    // Not advertised: oauth4webapi refuses it first.
    message: OAUTH4WEBAPI_ALG_REFUSED,
  },
  {
    item: "C19",
    name: "HS256, advertised by the provider itself",
    setup: (h) => {
      h.hostile.metadata.id_token_signing_alg_values_supported = [
        "RS256",
        "HS256",
      ];
      idToken(h, (c) => c, {
        alg: "HS256",
        key: new TextEncoder().encode("hostile-client-hostile-client-32"),
      });
    },
    code: 3,
    message: ALG_REFUSED,
  },
  {
    item: "C20",
    name: "iss of another server",
    setup: (h) => idToken(h, (c) => ({ ...c, iss: "https://evil.example" })),
    code: 3,
    message: /iss/,
  },
  {
    item: "C20",
    name: "aud without the client",
    setup: (h) => idToken(h, (c) => ({ ...c, aud: "someone-else" })),
    code: 3,
    message: /aud/,
  },
  {
    item: "C20",
    name: "several audiences without azp",
    setup: (h) => idToken(h, (c) => ({ ...c, aud: [c.aud, "other"] })),
    code: 3,
    message: /"aud".*untrusted audiences|azp/,
  },
  {
    item: "C20",
    name: "azp of another client",
    setup: (h) =>
      idToken(h, (c) => ({ ...c, aud: [c.aud, "other"], azp: "other" })),
    code: 3,
    message: /azp/,
  },
  {
    item: "C21",
    name: "expired",
    setup: (h) => idToken(h, (c) => ({ ...c, exp: now() - 3600 })),
    code: 3,
    message: /exp/,
  },
  {
    item: "C21",
    name: "iat missing",
    setup: (h) => idToken(h, (c) => ({ ...c, iat: undefined })),
    code: 3,
    message: /iat/,
  },
  {
    item: "C21",
    name: "iat two days old",
    setup: (h) => idToken(h, (c) => ({ ...c, iat: now() - 2 * 86400 })),
    code: 3,
    message: /iat|age|old/,
  },
  {
    item: "C21",
    name: "sub missing",
    setup: (h) => idToken(h, (c) => ({ ...c, sub: undefined })),
    code: 3,
    message: /sub/,
  },
  {
    item: "C22",
    name: "nonce of another request",
    setup: (h) => idToken(h, (c) => ({ ...c, nonce: "other" })),
    code: 3,
    message: /nonce/,
  },
  {
    item: "C22",
    name: "nonce missing",
    setup: (h) => idToken(h, (c) => ({ ...c, nonce: undefined })),
    code: 3,
    message: /nonce/,
  },
  {
    item: "C22",
    name: "device flow: a nonce when none was sent",
    run: "device",
    setup: (h) => idToken(h, (c) => ({ ...c, nonce: "unexpected" })),
    code: 3,
    message: /nonce/,
  },
  {
    item: "C23",
    name: "a key rotated since the JWKS was fetched: one refetch, accepted",
    setup: (h) => {
      h.hostile.jwks = (n, k) => ({ keys: n === 0 ? [k.k1] : [k.k1, k.k2] });
      idToken(h, (c) => c, { key: h.keys.k2, kid: "k2" });
    },
    code: 0,
  },
  {
    item: "C23",
    name: "an unknown kid even after the refetch",
    setup: (h) => idToken(h, (c) => c, { key: h.keys.k2, kid: "k2" }),
    code: 3,
    message: /ID token/,
  },
  {
    item: "C23",
    name: "no kid and several keys: each is tried, accepted",
    setup: (h) => {
      h.hostile.jwks = (_n, k) => ({
        keys: [{ ...k.k1, kid: undefined }, { ...k.k2, kid: undefined }],
      });
      idToken(h, (c) => c, { key: h.keys.k2, kid: null });
    },
    code: 0,
  },
  {
    item: "C23",
    name: "an unparseable key in the JWKS is ignored, accepted",
    setup: (
      h,
    ) => (h.hostile.jwks = (_n, k) => ({
      keys: [{ kty: "RSA", kid: "broken", n: "!!", e: "??" }, k.k1],
    })),
    code: 0,
  },
  {
    item: "C24",
    name: "refresh: an ID token for another user",
    run: "refresh",
    setup: (h) => idToken(h, (c) => ({ ...c, sub: "mallory" })),
    code: 3,
    message: /another user/,
  },
  {
    item: "C24",
    name: "refresh: an ID token from another issuer",
    run: "refresh",
    setup: (h) => idToken(h, (c) => ({ ...c, iss: "https://evil.example" })),
    code: 3,
    message: /iss/,
  },
  {
    item: "B16",
    name: "refresh without a new refresh token keeps the old one",
    run: "refresh",
    setup: (h) => token(h, { refresh_token: undefined }),
    code: 0,
    check: async (env, dir) => {
      assertEquals((await runCli(["token"], env)).code, 0);
      assert(
        (await new FileStore({ configDir: dir }).get("default"))?.refreshToken
          ?.startsWith("rt-"),
      );
    },
  },
  {
    item: "C25",
    name: "userinfo names another user",
    setup: (h) => (h.hostile.userinfo = () => ({ sub: "mallory" })),
    code: 3,
    message: /userinfo endpoint names another user/,
  },
  // D. Device flow
  {
    item: "D26",
    name: "device response without user_code",
    run: "device",
    setup: (
      h,
    ) => (h.hostile.device = (c) =>
      Response.json({ ...c, user_code: undefined })),
    code: 3,
    message: /user_code/,
  },
  {
    item: "D26",
    name: "device response with expires_in 0",
    run: "device",
    setup: (
      h,
    ) => (h.hostile.device = (c) => Response.json({ ...c, expires_in: 0 })),
    code: 3,
    message: /expires_in/,
  },
  {
    item: "D28",
    name: "access_denied",
    run: "device",
    setup: (
      h,
    ) => (h.hostile.token = () =>
      Promise.resolve(
        Response.json({ error: "access_denied" }, { status: 400 }),
      )),
    code: 5,
    message: /denied/,
  },
  {
    item: "D28",
    name: "expired_token",
    run: "device",
    setup: (
      h,
    ) => (h.hostile.token = () =>
      Promise.resolve(
        Response.json({ error: "expired_token" }, { status: 400 }),
      )),
    code: 6,
    message: /expired/,
  },
  {
    item: "D31",
    name: "a verification page on another host is flagged",
    run: "device",
    setup: (
      h,
    ) => (h.hostile.device = (c) =>
      Response.json({
        ...c,
        verification_uri: "https://phish.example/device",
      })),
    code: 0,
    check: undefined,
  },
  // E. Storage
  {
    item: "E37",
    name: "logout revokes the refresh token, and the access token",
    setup: () => {},
    code: 0,
    async check(env, configDir, h) {
      const stored = (await new FileStore({ configDir }).get("default"))!;
      assert(stored.refreshToken, "a refresh token to revoke");
      h.revocations.length = 0;
      const r = await runCli(["logout"], env);
      assertEquals(r.code, 0, r.stderr);
      const seen = h.revocations.map((f) => [
        f.get("token"),
        f.get("token_type_hint"),
        f.get("client_id"),
      ]);
      assertEquals(seen, [
        [stored.refreshToken, "refresh_token", h.clientId],
        [stored.accessToken, "access_token", h.clientId],
      ]);
    },
  },
];

/** Waits until the CLI printed the authorization URL, or exited. */
async function urlOrExit(
  cli: RunningCli,
  exited: () => boolean,
): Promise<string | undefined> {
  for (let i = 0; i < 400; i++) {
    const m = cli.stderr().match(AUTH_URL);
    if (m) return m[1];
    if (exited()) return undefined;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no URL and no exit:\n${cli.stderr()}`);
}

async function loopbackLogin(env: Record<string, string>) {
  const cli = await spawnCli(["login", "--flow", "loopback", "--force"], env);
  let done = false;
  cli.child.status.then(() => (done = true));
  const url = await urlOrExit(cli, () => done);
  // The "browser": follows the provider's redirect back to the CLI.
  if (url) await fetch(url).then((r) => r.body?.cancel(), () => {});
  return await cli.finish();
}

Deno.test({
  name: "adversarial: SECURITY.md A–D against the real CLI",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using e2e = await startE2e({ provider: false });
    const h = await startHostileProvider();
    e2e.defer(() => h.close());
    const defaults: Hostile = { ...h.hostile, metadata: {} };
    for (const row of table) {
      await t.step(`${row.item}: ${row.name}`, async () => {
        Object.assign(h.hostile, { ...defaults, metadata: {} });
        // A private directory per row.
        const configDir = await Deno.makeTempDir({ dir: e2e.dir });
        const env = cliEnv(configDir, {
          AUTHCTL_ISSUER: h.issuer,
          AUTHCTL_CLIENT_ID: h.clientId,
          AUTHCTL_STORAGE: "file",
          ...row.env,
        });
        let r;
        if (row.run === "refresh") {
          assertEquals((await loopbackLogin(env)).code, 0);
          row.setup(h);
          const store = new FileStore({ configDir });
          const before = (await store.get("default"))!;
          await store.set("default", {
            ...before,
            expiresAt: Date.now() - 1000,
          });
          r = await runCli(["token"], env);
          if (row.code !== 0) {
            const after = (await store.get("default"))!;
            assertEquals(
              after.accessToken,
              before.accessToken,
              "nothing new stored",
            );
          }
        } else {
          row.setup(h);
          h.hits.clear();
          r = row.run === "device"
            ? await runCli(["login", "--flow", "device", "--force"], env)
            : await loopbackLogin(env);
          if (row.item === "B17") {
            assertEquals(
              h.hits.get("/elsewhere"),
              undefined,
              "redirect followed",
            );
          }
          if (row.item === "B18") {
            assertEquals(h.hits.get("/token"), 1, "code exchange retried");
          }
          if (row.item === "D31") {
            assertMatch(
              r.stderr,
              /Warning: the verification page is on "phish\.example"/,
            );
          }
          if (row.code !== 0) {
            assertEquals(
              await new FileStore({ configDir }).get("default"),
              undefined,
              "nothing stored",
            );
          }
        }
        assertEquals(r.code, row.code, r.stderr);
        if (row.message) assertMatch(r.stderr, row.message);
        await row.check?.(env, configDir, h);
      });
    }
  },
});

Deno.test({
  name:
    "adversarial: the browser's page after a failed code exchange says it failed, and why",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using e2e = await startE2e({ provider: false, browser: true });
    const { browser, configDir } = e2e;
    const h = await startHostileProvider();
    e2e.defer(() => h.close());
    const env = cliEnv(configDir, {
      AUTHCTL_ISSUER: h.issuer,
      AUTHCTL_CLIENT_ID: h.clientId,
      AUTHCTL_STORAGE: "file",
    });
    h.hostile.token = () =>
      Promise.resolve(
        Response.json({
          error: "invalid_grant",
          error_description: "<b>used</b>",
        }, {
          status: 400,
        }),
      );
    const cli = await spawnCli(["login", "--flow", "loopback"], env);
    const [, url] = await cli.waitFor(AUTH_URL);
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForURL(/\/callback\?/, { waitUntil: "load" });
    const r = await cli.finish();
    assertEquals(r.code, 3, r.stderr);
    assertMatch(await page.title(), /Login failed/);
    const text = await page.locator("p").innerText();
    assertMatch(
      text,
      /authctl could not complete the login: .*invalid_grant.*<b>used<\/b>/,
    );
    // Escaped: shown as text, not markup.
    assertEquals(await page.locator("b").count(), 0);
    await page.close();
  },
});
