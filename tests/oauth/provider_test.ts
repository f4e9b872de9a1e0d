/**
 * The provider adapter against a fake server: discovery rules and ID token
 * verification (faults a real provider will not produce).
 */

import { assertEquals, assertRejects } from "../support/assert.ts";
import {
  authorizationCodeGrant,
  authorizationUrl,
  discover,
  requestedScopes,
  validateCallback,
} from "../../src/oauth/mod.ts";
import { getAccessToken } from "../../mod.ts";
import { startFakeProvider } from "../support/fake_provider.ts";

const now = () => Math.floor(Date.now() / 1000);

async function withFake(
  fn: (fake: Awaited<ReturnType<typeof startFakeProvider>>) => Promise<void>,
) {
  const fake = await startFakeProvider();
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

Deno.test("discovery: OpenID Connect first, RFC 8414 as the fallback", () =>
  withFake(async (fake) => {
    const oidc = await discover({
      issuer: fake.issuer,
      clientId: "client",
    });
    assertEquals(oidc.metadata.token_endpoint, `${fake.issuer}/token`);
    fake.behaviour.wellKnown.oidc = false;
    const oauth2 = await discover({
      issuer: fake.issuer,
      clientId: "client",
    });
    assertEquals(oauth2.issuer, fake.issuer);
    fake.behaviour.wellKnown.oauth2 = false;
    await assertRejects(
      () => discover({ issuer: fake.issuer, clientId: "client" }),
      {
        code: "discovery_failed",
      },
    );
  }));

Deno.test("discovery: the document's issuer must equal the configured one exactly", () =>
  withFake(async (fake) => {
    fake.behaviour.metadata.issuer = `${fake.issuer}/`;
    await assertRejects(
      () => discover({ issuer: fake.issuer, clientId: "client" }),
      {
        code: "issuer_mismatch",
        message: new RegExp(`"${fake.issuer}"`),
      },
    );
  }));

Deno.test("discovery: a provider without S256 PKCE is refused", () =>
  withFake(async (fake) => {
    fake.behaviour.metadata.code_challenge_methods_supported = ["plain"];
    await assertRejects(
      () => discover({ issuer: fake.issuer, clientId: "client" }),
      {
        code: "pkce_unsupported",
      },
    );
  }));

Deno.test("discovery: an unreachable issuer is exit 3 with the URL", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await assertRejects(
    () => discover({ issuer: `http://127.0.0.1:${port}`, clientId: "c" }),
    { code: "unreachable", message: new RegExp(`127\\.0\\.0\\.1:${port}`) },
  );
});

Deno.test("discovery: a plain-http issuer off loopback is refused before any request, library included", async () => {
  // The CLI checks its settings too; the library (mod.ts) relies on this.
  // `.invalid` never resolves, so even a regression sends nothing anywhere.
  const issuer = "http://login.authctl-test.invalid";
  let fetched = 0;
  const realFetch = globalThis.fetch;
  globalThis.fetch = (...args) => {
    fetched++;
    return realFetch(...args);
  };
  try {
    await assertRejects(
      () => discover({ issuer, clientId: "c" }),
      {
        code: "insecure_issuer",
        message: /plain-http issuer "http:\/\/login\.authctl-test\.invalid"/,
      },
    );
    await assertRejects(
      () =>
        getAccessToken({
          name: "lib-test",
          issuer,
          clientId: "c",
          storage: "memory",
        }),
      { code: "insecure_issuer" },
    );
  } finally {
    globalThis.fetch = realFetch;
  }
  assertEquals(fetched, 0);
});

Deno.test("code exchange: the ID token's signature, nonce and audience are verified", () =>
  withFake(async (fake) => {
    const provider = await discover({
      issuer: fake.issuer,
      clientId: "client",
    });
    const callback = validateCallback(
      provider,
      new URLSearchParams({ code: "c", state: "s1", iss: fake.issuer }),
      "s1",
    );
    const exchange = () =>
      authorizationCodeGrant(
        provider,
        callback,
        "http://127.0.0.1:1/callback",
        "v".repeat(43),
        "n1",
      );
    const claims = (extra: Record<string, unknown> = {}) => ({
      iss: fake.issuer,
      aud: "client",
      sub: "alice",
      nonce: "n1",
      iat: now(),
      exp: now() + 600,
      ...extra,
    });
    const respond = (idToken: string) => () =>
      Response.json({
        access_token: "at",
        token_type: "Bearer",
        expires_in: 60,
        id_token: idToken,
      });

    fake.behaviour.token = async ({ sign }) => respond(await sign(claims()))();
    const ok = await exchange();
    assertEquals(ok.identity?.sub, "alice");
    assertEquals(ok.accessToken, "at");

    fake.behaviour.token = async ({ sign }) =>
      respond(await sign(claims(), { key: fake.strangerKey }))();
    await assertRejects(exchange, { code: "invalid_id_token" });

    fake.behaviour.token = async ({ sign }) =>
      respond(await sign(claims({ nonce: "other" })))();
    await assertRejects(exchange, { message: /nonce/ });

    fake.behaviour.token = async ({ sign }) =>
      respond(await sign(claims({ aud: "someone" })))();
    await assertRejects(exchange, { message: /aud/ });

    const header = btoa(JSON.stringify({ alg: "none" })).replace(/=+$/, "");
    const body = btoa(JSON.stringify(claims())).replace(/=+$/, "");
    fake.behaviour.token = respond(`${header}.${body}.`);
    await assertRejects(exchange, { message: /.+/ });
    const err = await exchange().then(
      () => undefined,
      (e: { exitCode?: number }) => e,
    );
    assertEquals(err?.exitCode, 3);
  }));

Deno.test("discovery: a redirect within the same origin is followed (Django OAuth Toolkit), another origin never", async () => {
  const other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ issuer: "elsewhere" }),
  );
  let hops = 0;
  let origin = "";
  const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req): Response => {
      const path = new URL(req.url).pathname;
      const base = origin;
      if (path === "/dot/.well-known/openid-configuration") {
        return Response.redirect(
          `${base}/dot/.well-known/openid-configuration/`,
          301,
        );
      }
      if (path === "/dot/.well-known/openid-configuration/") {
        return Response.json({
          issuer: `${base}/dot`,
          authorization_endpoint: `${base}/dot/authorize`,
          token_endpoint: `${base}/dot/token`,
          jwks_uri: `${base}/dot/jwks`,
        });
      }
      if (path === "/away/.well-known/openid-configuration") {
        return Response.redirect(
          `http://127.0.0.1:${other.addr.port}/.well-known/openid-configuration`,
          302,
        );
      }
      if (path.startsWith("/loop/")) {
        hops++;
        return Response.redirect(
          `${base}/loop/.well-known/openid-configuration`,
          302,
        );
      }
      return new Response("not found", { status: 404 });
    },
  );
  origin = `http://127.0.0.1:${server.addr.port}`;
  const base = origin;
  try {
    const dot = await discover({
      issuer: `${base}/dot`,
      clientId: "c",
    });
    assertEquals(dot.metadata.token_endpoint, `${base}/dot/token`);
    await assertRejects(
      () => discover({ issuer: `${base}/away`, clientId: "c" }),
      { code: "redirect_refused", message: /another origin/ },
    );
    await assertRejects(
      () => discover({ issuer: `${base}/loop`, clientId: "c" }),
      { code: "redirect_refused" },
    );
    assertEquals(hops, 4, "at most 3 redirects are followed");
  } finally {
    await server.shutdown();
    await other.shutdown();
  }
});

Deno.test("endpoints given: no discovery, the issuer stays the identity, the same https rule", async () => {
  const p = await discover({
    issuer: "https://passport.example",
    clientId: "c",
    settings: {
      authorizationEndpoint: "https://passport.example/oauth/authorize",
      tokenEndpoint: "https://passport.example/oauth/token",
    },
  });
  assertEquals(p.kind, "oauth2");
  assertEquals(p.issuer, "https://passport.example");
  assertEquals(requestedScopes(p, ["read"]), ["read"]);
  const { url } = await authorizationUrl(p, {
    redirectUri: "http://127.0.0.1:1/callback",
    scopes: ["read"],
    audience: "",
    state: "s",
    nonce: "n",
    codeChallenge: "c".repeat(43),
  });
  assertEquals(url.searchParams.has("nonce"), false);
  assertEquals(url.searchParams.has("prompt"), false);
  await assertRejects(
    () =>
      discover({
        issuer: "https://passport.example",
        clientId: "c",
        settings: { tokenEndpoint: "https://passport.example/oauth/token" },
      }),
    { code: "incomplete_endpoints" },
  );
  // With provider = "oauth2", a token endpoint alone is a server for
  // logins without a person (Google's STS): no discovery is made, and a
  // browser login says what to do instead.
  const sts = await discover({
    issuer: "https://sts.example",
    clientId: "c",
    settings: {
      provider: "oauth2",
      tokenEndpoint: "https://sts.example/v1/token",
    },
    network: {
      timeoutMs: 1000,
      transport: () => Promise.reject(new Error("no discovery expected")),
    },
  });
  assertEquals(sts.metadata.token_endpoint, "https://sts.example/v1/token");
  await assertRejects(
    () =>
      authorizationUrl(sts, {
        redirectUri: "http://127.0.0.1:1/callback",
        scopes: ["read"],
        audience: "",
        state: "s",
        nonce: "n",
        codeChallenge: "c".repeat(43),
      }),
    { code: "no_authorization_endpoint", message: /login --federated/ },
  );
});

Deno.test("authorization request: auth_params, prompt and resources as configured, protocol parameters kept", () =>
  withFake(async (fake) => {
    const p = await discover({
      issuer: fake.issuer,
      clientId: "client",
      settings: {
        prompt: "select_account",
        authParams: { access_type: "offline", login_hint: "alice" },
        resources: ["https://api.one.example", "https://api.two.example"],
        offlineAccess: true,
      },
    });
    const { url } = await authorizationUrl(p, {
      redirectUri: "http://127.0.0.1:1/callback",
      scopes: ["email"],
      audience: "",
      state: "s",
      nonce: "n",
      codeChallenge: "c".repeat(43),
    });
    const q = url.searchParams;
    assertEquals(q.get("scope"), "openid offline_access email");
    assertEquals(q.get("prompt"), "select_account");
    assertEquals(q.get("access_type"), "offline");
    assertEquals(q.get("login_hint"), "alice");
    assertEquals(q.getAll("resource"), [
      "https://api.one.example",
      "https://api.two.example",
    ]);
    assertEquals(q.get("nonce"), "n");
  }));
