/**
 * The provider adapter against a fake server: discovery rules and ID token
 * verification (faults a real provider will not produce).
 */

import { assertEquals, assertRejects } from "../support/assert.ts";
import { discoverProvider } from "../../src/oauth/provider.ts";
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
    const oidc = await discoverProvider({
      issuer: fake.issuer,
      clientId: "client",
    });
    assertEquals(oidc.metadata.token_endpoint, `${fake.issuer}/token`);
    fake.behaviour.wellKnown.oidc = false;
    const oauth2 = await discoverProvider({
      issuer: fake.issuer,
      clientId: "client",
    });
    assertEquals(oauth2.issuer, fake.issuer);
    fake.behaviour.wellKnown.oauth2 = false;
    await assertRejects(
      () => discoverProvider({ issuer: fake.issuer, clientId: "client" }),
      {
        code: "discovery_failed",
      },
    );
  }));

Deno.test("discovery: the document's issuer must equal the configured one exactly", () =>
  withFake(async (fake) => {
    fake.behaviour.metadata.issuer = `${fake.issuer}/`;
    await assertRejects(
      () => discoverProvider({ issuer: fake.issuer, clientId: "client" }),
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
      () => discoverProvider({ issuer: fake.issuer, clientId: "client" }),
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
    () =>
      discoverProvider({ issuer: `http://127.0.0.1:${port}`, clientId: "c" }),
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
      () => discoverProvider({ issuer, clientId: "c" }),
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
    const provider = await discoverProvider({
      issuer: fake.issuer,
      clientId: "client",
    });
    const callback = provider.validateCallback(
      new URLSearchParams({ code: "c", state: "s1", iss: fake.issuer }),
      "s1",
    );
    const exchange = () =>
      provider.exchangeCode(
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
    const err = await exchange().then(() => undefined, (e) => e);
    assertEquals(err.exitCode, 3);
  }));
