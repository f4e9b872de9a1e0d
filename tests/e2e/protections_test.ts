/**
 * End to end: protections that only show when something is wrong, each
 * shown to bite by what it refuses (the provider doubles, and small local
 * servers that misbehave on purpose). No request ever leaves this machine:
 * the hosts refused below do not resolve (`.invalid`).
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { runCli } from "../support/cli.ts";
import { runHint } from "../support/hints.ts";
import { startProviderDoubles } from "../support/provider_doubles.ts";
import { startE2e } from "../support/e2e.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** base64url characters and the bits they carry. */
function entropyBits(value: string): number {
  assertMatch(value, /^[A-Za-z0-9_-]+$/);
  return value.length * 6;
}

Deno.test({
  name: "protections: what a misbehaving server or a repeated login meets",
  ...opts,
  async fn(t) {
    await using e2e = await startE2e({
      provider: false,
      env: { AUTHCTL_STORAGE: "file", AUTHCTL_PROMPT: "" },
    });
    const { env } = e2e;
    // One server for every misbehaviour, by path.
    let base = "";
    const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req): Response => {
        const url = new URL(req.url);
        switch (url.pathname) {
          case "/redirect":
            // A 307 keeps the method and the body: to http, off loopback.
            return new Response(null, {
              status: 307,
              headers: { location: "http://api.example.invalid/upload" },
            });
          case "/mcp-insecure-metadata":
            return new Response("", {
              status: 401,
              headers: {
                "www-authenticate":
                  'Bearer resource_metadata="http://metadata.example.invalid/prm"',
              },
            });
          case "/mcp-spaced":
            return new Response("", {
              status: 401,
              headers: {
                "www-authenticate":
                  `Bearer resource_metadata="${base}/prm-spaced"`,
              },
            });
          case "/prm-spaced":
            return Response.json({
              resource: `${base}/mcp-spaced`,
              authorization_servers: [`${base}/as x`],
            });
          default:
            return new Response("not found", { status: 404 });
        }
      },
    );
    e2e.defer(() => server.shutdown());
    base = `http://127.0.0.1:${server.addr.port}`;
    await t.step(
      "api: a redirect to plain http off loopback is not followed (the body stays)",
      async () => {
        const r = await runCli(
          ["api", `${base}/redirect`, "--data", "secret-body"],
          { ...env, AUTHCTL_TOKEN: "env-token" },
        );
        assertEquals(r.code, 3, r.stderr);
        assertMatch(
          r.stderr,
          /redirects to "http:\/\/api\.example\.invalid\/upload", which is not https/,
        );
      },
    );

    await t.step(
      "login --resource: metadata named at a plain-http address off loopback is refused",
      async () => {
        const r = await runCli(
          ["login", "--resource", `${base}/mcp-insecure-metadata`],
          env,
          "",
        );
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /refused, because it is not https/);
      },
    );

    await t.step(
      "login --resource: an authorization server named with a space is refused before use",
      async () => {
        const r = await runCli(
          ["login", "--resource", `${base}/mcp-spaced`],
          env,
          "",
        );
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /spaces or control characters/);
      },
    );

    await t.step(
      "two logins differ in state, nonce and PKCE verifier, each with at least 128 bits",
      async () => {
        const d = await startProviderDoubles();
        try {
          const login = {
            ...env,
            AUTHCTL_ISSUER: d.auth0.issuer,
            AUTHCTL_CLIENT_ID: d.auth0.clientId,
          };
          const seen: URL[] = [];
          for (let i = 0; i < 2; i++) {
            const r = await runHint(
              ["login", "--flow", "loopback", "--force"],
              login,
            );
            assertEquals(r.code, 0, r.stderr);
            const url = /\n {2}(http:\/\/127\.0\.0\.1:\d+\/\S+)\n/.exec(
              r.stderr,
            )![1];
            seen.push(new URL(url));
          }
          // What the browser was sent.
          const [a, b] = seen.map((u) => u.searchParams);
          for (const name of ["state", "nonce", "code_challenge"]) {
            assert(a.get(name) !== b.get(name), `${name} repeated`);
            assert(
              entropyBits(a.get(name)!) >= 128,
              `${name} too short: ${a.get(name)}`,
            );
          }
          assertEquals(a.get("code_challenge_method"), "S256");
          // What the token endpoint was sent: verifiers of RFC 7636's
          // length (43 to 128 characters), never the same twice.
          const verifiers = d.tokenRequests
            .filter((f) => f.get("grant_type") === "authorization_code")
            .map((f) => f.get("code_verifier")!);
          assertEquals(verifiers.length, 2);
          assert(verifiers[0] !== verifiers[1], "verifier repeated");
          for (const v of verifiers) {
            assert(v.length >= 43 && v.length <= 128, v);
            assert(entropyBits(v) >= 256, v);
          }
        } finally {
          await d.close();
        }
      },
    );
  },
});
