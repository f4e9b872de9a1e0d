/**
 * End to end against a real OAuth 2.0 server without discovery, set up as
 * Laravel Passport is (tests/support/passport_server.ts): the real CLI, the
 * endpoints given as settings, headless Chromium pressing "Authorize".
 * Loopback, paste, refresh, logout, and a token from stdin checked against
 * the app's profile route; negative controls show the server really is as
 * strict as Passport (an undefined scope such as `openid`, an unregistered
 * redirect port).
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
} from "../support/assert.ts";
import { cliEnv, runCli, spawnCli } from "../support/cli.ts";
import {
  approvePassport,
  startPassportServer,
} from "../support/passport_server.ts";
import { startE2e } from "../support/e2e.ts";

const AUTHORIZE_URL = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)\s/;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function profileStatus(url: string, token: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/profile`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.body?.cancel();
  return res.status;
}

Deno.test({
  name: "e2e: a plain OAuth 2.0 server without discovery (Passport-like)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const port = freePort();
    const redirect = `http://127.0.0.1:${port}/callback`;
    const passport = startPassportServer([redirect]);
    await using e2e = await startE2e({ provider: false, browser: true });
    e2e.defer(() => passport.close());
    const { browser, configDir } = e2e;
    // As a user would configure it: everything from the environment.
    const env = cliEnv(configDir, {
      AUTHCTL_ISSUER: passport.url,
      AUTHCTL_CLIENT_ID: passport.clientId,
      AUTHCTL_PROVIDER: "oauth2",
      AUTHCTL_AUTHORIZATION_ENDPOINT: `${passport.url}/oauth/authorize`,
      AUTHCTL_TOKEN_ENDPOINT: `${passport.url}/oauth/token`,
      AUTHCTL_USERINFO_ENDPOINT: `${passport.url}/api/v1/profile`,
      AUTHCTL_REDIRECT_URI: redirect,
      AUTHCTL_SCOPES: "read",
      AUTHCTL_STORAGE: "file",
      AUTHCTL_PROMPT: "",
    });
    const loopbackLogin = async (args: string[] = []) => {
      const cli = await spawnCli(["login", "--flow", "loopback", ...args], env);
      const [, url] = await cli.waitFor(AUTHORIZE_URL);
      const page = await browser.newPage();
      await approvePassport(page, url);
      await page.close();
      return { url: new URL(url), result: await cli.finish() };
    };
    await t.step(
      "loopback: no openid, no nonce, no prompt; who logged in comes from the profile route",
      async () => {
        const { url, result } = await loopbackLogin();
        assertEquals(result.code, 0, result.stderr);
        const q = url.searchParams;
        assertEquals(q.get("scope"), "read");
        assertEquals(q.get("redirect_uri"), redirect);
        assertEquals(q.get("code_challenge_method"), "S256");
        assertEquals(q.has("nonce"), false);
        assertEquals(q.has("prompt"), false);
        assertMatch(
          result.stderr,
          /Logged in as Alice Example \(alice@passport\.test\)/,
        );
        const status = JSON.parse(
          (await runCli(["status", "--json"], env)).stdout,
        );
        assertEquals(status.subject, "42");
        assertEquals(status.canRefresh, true);
        const token = (await runCli(["token"], env)).stdout.trim();
        assertEquals(await profileStatus(passport.url, token), 200);
      },
    );

    await t.step(
      "refresh: a new token; the rotated refresh token is replaced",
      async () => {
        const before = (await runCli(["token"], env)).stdout.trim();
        const r = await runCli(["token", "--force-refresh"], env);
        assertEquals(r.code, 0, r.stderr);
        const after = r.stdout.trim();
        assert(after !== before, "a new access token");
        assertEquals(await profileStatus(passport.url, after), 200);
        const grant = passport.tokenRequests.at(-1)!;
        assertEquals(grant.get("grant_type"), "refresh_token");
        assertEquals(grant.get("client_id"), passport.clientId);
        assertEquals(grant.has("client_secret"), false);
        // The next refresh uses the new refresh token and works too.
        assertEquals(
          (await runCli(["token", "--force-refresh"], env)).code,
          0,
        );
      },
    );

    await t.step(
      "paste: the same registered redirect URI, pasted back",
      async () => {
        const cli = await spawnCli(
          ["login", "--flow", "paste", "--force"],
          env,
          { stdin: true },
        );
        const [, url] = await cli.waitFor(AUTHORIZE_URL);
        assertEquals(new URL(url).searchParams.get("redirect_uri"), redirect);
        const page = await browser.newPage();
        let captured = "";
        page.on("request", (req) => {
          if (req.url().startsWith(redirect)) captured = req.url();
        });
        await approvePassport(page, url).catch(() => {});
        for (let i = 0; i < 200 && !captured; i++) {
          await new Promise((r) => setTimeout(r, 25));
        }
        await page.close();
        assert(captured, "the browser went to the redirect URI");
        await cli.write(`${captured}\n`);
        const r = await cli.finish();
        assertEquals(r.code, 0, r.stderr);
      },
    );

    await t.step(
      "login --token-stdin is checked against the profile route",
      async () => {
        const good = (await runCli(["token"], env)).stdout.trim();
        const pat = await runCli(
          ["login", "--token-stdin", "--profile", "pat"],
          env,
          `${good}\n`,
        );
        assertEquals(pat.code, 0, pat.stderr);
        assertMatch(pat.stderr, /Stored the token as Alice Example/);
        const bad = await runCli(
          ["login", "--token-stdin", "--profile", "bad"],
          env,
          "not-a-token\n",
        );
        assertEquals(bad.code, 4);
        assertMatch(
          bad.stderr,
          /rejected the token \(HTTP 401\).*Nothing was saved/,
        );
      },
    );

    await t.step(
      "logout revokes at an RFC 7009 endpoint when one is given",
      async () => {
        const token = (await runCli(["token"], env)).stdout.trim();
        const r = await runCli(["logout"], {
          ...env,
          AUTHCTL_REVOCATION_ENDPOINT: `${passport.url}/oauth/token/revoke`,
        });
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /The provider revoked the tokens/);
        assertEquals(await profileStatus(passport.url, token), 401);
        assertEquals((await runCli(["token"], env)).code, 4);
      },
    );

    await t.step(
      "without a revocation endpoint, logout says the tokens stay valid there",
      async () => {
        assertEquals((await loopbackLogin()).result.code, 0);
        const r = await runCli(["logout"], env);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /offers no revocation/);
      },
    );

    await t.step(
      "resource indicators go in the authorization, token and refresh requests",
      async () => {
        const resources = {
          ...env,
          AUTHCTL_RESOURCE: "https://api.one.example https://api.two.example",
        };
        const cli = await spawnCli(
          ["login", "--flow", "loopback", "--force"],
          resources,
        );
        const [, url] = await cli.waitFor(AUTHORIZE_URL);
        assertEquals(new URL(url).searchParams.getAll("resource"), [
          "https://api.one.example",
          "https://api.two.example",
        ]);
        const page = await browser.newPage();
        await approvePassport(page, url);
        await page.close();
        assertEquals((await cli.finish()).code, 0);
        const exchange = passport.tokenRequests.at(-1)!;
        assertEquals(exchange.get("grant_type"), "authorization_code");
        assertEquals(exchange.getAll("resource").length, 2);
        assertEquals(
          (await runCli(["token", "--force-refresh"], resources)).code,
          0,
        );
        const refreshed = passport.tokenRequests.at(-1)!;
        assertEquals(refreshed.get("grant_type"), "refresh_token");
        assertEquals(refreshed.getAll("resource"), [
          "https://api.one.example",
          "https://api.two.example",
        ]);
        assertEquals((await runCli(["logout"], env)).code, 0);
      },
    );

    await t.step(
      "negative control: the server refuses an undefined scope, such as openid",
      async () => {
        const res = await fetch(
          `${passport.url}/oauth/authorize?${new URLSearchParams({
            response_type: "code",
            client_id: passport.clientId,
            redirect_uri: redirect,
            scope: "openid read",
            state: "s",
            code_challenge: "x".repeat(43),
            code_challenge_method: "S256",
          })}`,
          { redirect: "manual" },
        );
        const body = await res.text();
        assert(
          res.status >= 400 ||
            /invalid_scope/.test(res.headers.get("location") ?? ""),
          body,
        );
        assertMatch(
          body + (res.headers.get("location") ?? ""),
          /invalid_scope/,
        );
        // The same login authctl makes, with openid forced as a scope.
        const cli = await spawnCli(
          [
            "login",
            "--flow",
            "loopback",
            "--force",
            "--scope",
            "read openid",
          ],
          env,
        );
        const [, url] = await cli.waitFor(AUTHORIZE_URL);
        // authctl strips openid: it is the protocol's, and this is OAuth 2.0.
        assertNotMatch(new URL(url).searchParams.get("scope")!, /openid/);
        cli.child.kill("SIGTERM");
        await cli.finish();
      },
    );

    await t.step(
      "negative control: a redirect port that is not registered is refused",
      async () => {
        const other = freePort();
        const cli = await spawnCli(
          ["login", "--flow", "loopback", "--force"],
          {
            ...env,
            AUTHCTL_REDIRECT_URI: `http://127.0.0.1:${other}/callback`,
          },
        );
        const [, url] = await cli.waitFor(AUTHORIZE_URL);
        const res = await fetch(url, { redirect: "manual" });
        const body = await res.text();
        assert(res.status >= 400, `HTTP ${res.status}: ${body}`);
        cli.child.kill("SIGTERM");
        await cli.finish();
      },
    );
  },
});
