/**
 * End to end: the real CLI against the real provider (oidc-provider), with
 * headless Chromium completing the login as a person would.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
} from "../support/assert.ts";
import { approveLogin } from "../../scripts/headless_browser.ts";
import { AUTH_URL, runCli, spawnCli } from "../support/cli.ts";
import { startE2e } from "../support/e2e.ts";
import { assertRefused } from "../support/http.ts";

Deno.test({
  name: "e2e: loopback login through Chromium, then status, token, logout",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using e2e = await startE2e({ browser: true });
    const { provider, browser, configDir, env } = e2e;
    await t.step("token before login exits 4", async () => {
      const r = await runCli(["token"], env);
      assertEquals(r.code, 4);
      assertEquals(r.stdout, "");
      assertMatch(r.stderr, /Not logged in .*Run: authctl login/);
    });

    let callbackUrl = "";
    await t.step("login completes in the browser", async () => {
      const cli = await spawnCli(["login", "--scope", "profile email"], env);
      const [, url] = await cli.waitFor(AUTH_URL);
      const auth = new URL(url);
      const redirect = new URL(auth.searchParams.get("redirect_uri")!);
      assertEquals(redirect.hostname, "127.0.0.1");
      assertEquals(redirect.pathname, "/callback");
      assertEquals(auth.searchParams.get("code_challenge_method"), "S256");
      assertEquals(
        auth.searchParams.get("scope"),
        "openid offline_access profile email",
      );
      const page = await approveLogin(await browser.newPage(), url, {
        user: "alice",
      });
      callbackUrl = page.url();
      assertMatch(await page.title(), /Login complete/);
      const html = await page.content();
      assertNotMatch(
        html,
        new RegExp(new URL(callbackUrl).searchParams.get("code")!),
      );
      const r = await cli.finish();
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stderr, /Logged in as alice/);
      await page.close();
    });

    await t.step("the callback port is closed after the login", async () => {
      await assertRefused(callbackUrl);
    });

    await t.step(
      "status --json reports the user, issuer, scopes, expiry",
      async () => {
        const r = await runCli(["status", "--json"], env);
        assertEquals(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout);
        assertEquals(report.loggedIn, true);
        assertEquals(report.identity.sub, "alice");
        assertEquals(report.issuer, provider.issuer);
        assertEquals(report.scopes.sort(), [
          "email",
          "offline_access",
          "openid",
          "profile",
        ]);
        assert(Date.parse(report.expiresAt) > Date.now() + 30 * 60_000);
        assertEquals(report.storage.backend, "file");
      },
    );

    await t.step(
      "the credentials file is 0600 in a 0700 directory",
      async () => {
        const dir = await Deno.stat(`${configDir}/credentials`);
        const file = await Deno.stat(`${configDir}/credentials/default.json`);
        assertEquals(dir.mode! & 0o777, 0o700);
        assertEquals(file.mode! & 0o777, 0o600);
      },
    );

    await t.step(
      "token prints only the access token, which userinfo accepts",
      async () => {
        const r = await runCli(["token"], env);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stdout, /^[A-Za-z0-9._~-]+\n$/);
        const res = await fetch(`${provider.issuer}/me`, {
          headers: { authorization: `Bearer ${r.stdout.trim()}` },
        });
        assertEquals(res.status, 200);
        assertEquals((await res.json()).sub, "alice");
      },
    );

    await t.step("token --json", async () => {
      const r = await runCli(["token", "--json"], env);
      assertEquals(r.code, 0);
      const body = JSON.parse(r.stdout);
      assertEquals(body.token_type.toLowerCase(), "bearer");
      assert(body.access_token.length > 10);
    });

    await t.step(
      "a token is never handed out for other settings",
      async () => {
        const other = await runCli(
          ["token", "--client-id", "someone-else"],
          env,
        );
        assertEquals(other.code, 4);
        assertMatch(
          other.stderr,
          /client ID "authctl-demo", not "someone-else"/,
        );
        const scopes = await runCli(["token", "--scope", "admin"], env);
        assertEquals(scopes.code, 4);
      },
    );

    await t.step(
      "login again is a no-op while the token is fresh",
      async () => {
        const r = await runCli(["login"], {
          ...env,
          AUTHCTL_SCOPES: "profile email",
        });
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /Already logged in as alice/);
      },
    );

    await t.step("logout removes the entry; token then exits 4", async () => {
      const r = await runCli(["logout"], env);
      assertEquals(r.code, 0);
      assertMatch(r.stderr, /Logged out/);
      assertEquals((await runCli(["token"], env)).code, 4);
      assertEquals((await runCli(["status"], env)).code, 4);
    });

    await t.step(
      "cancelling at the provider exits 5 and shows the error escaped",
      async () => {
        const cli = await spawnCli(["login"], env);
        const [, url] = await cli.waitFor(AUTH_URL);
        const page = await approveLogin(await browser.newPage(), url, {
          cancel: true,
        });
        assertMatch(await page.title(), /Login failed/);
        const r = await cli.finish();
        assertEquals(r.code, 5, r.stderr);
        assertMatch(r.stderr, /access_denied/);
        assertEquals((await runCli(["token"], env)).code, 4);
        await page.close();
      },
    );
  },
});
