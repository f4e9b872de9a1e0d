/**
 * End to end: the same CLI logs in to doubles of GitHub, Google, Microsoft
 * Entra ID and Auth0 (tests/support/provider_doubles.ts, built from
 * shared/PROVIDERS.md) with only `--provider`-style settings and the
 * double's issuer: the loopback flow, the device flow, a refresh and a
 * logout each. A negative control per double shows its quirk bites a
 * client that ignores it.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
} from "../support/assert.ts";
import { runCli, spawnCli } from "../support/cli.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { deviceLogin } from "../support/doubles_login.ts";
import { startE2e } from "../support/e2e.ts";

const URL_LINE = /\n {2}(http:\/\/127\.0\.0\.1:\d+\/\S+)\n/;

/** A loopback login where the "browser" follows the provider's redirect. */
async function loopbackLogin(env: Record<string, string>, args: string[] = []) {
  const cli = await spawnCli([
    "login",
    "--flow",
    "loopback",
    "--force",
    ...args,
  ], env);
  const [, url] = await cli.waitFor(URL_LINE);
  const auth = await fetch(url, { redirect: "manual" });
  await auth.body?.cancel();
  const location = auth.headers.get("location");
  assert(location, `the provider did not redirect (HTTP ${auth.status})`);
  await fetch(location).then((r) => r.body?.cancel(), () => {});
  return { url: new URL(url), result: await cli.finish() };
}

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "e2e: GitHub, Google, Microsoft Entra ID and Auth0 doubles, one binary",
  ...opts,
  async fn(t) {
    await using e2e = await startE2e({ provider: false, doubles: true });
    const { doubles: d, envFor } = e2e;
    await t.step(
      "GitHub: secret for the web flow, JSON asked for, /user",
      async () => {
        const env = await envFor({
          AUTHCTL_PROVIDER: "github",
          AUTHCTL_ISSUER: d.github.issuer,
          AUTHCTL_CLIENT_ID: d.github.clientId,
          AUTHCTL_CLIENT_SECRET: d.github.clientSecret!,
        });
        // A browser that writes down the environment it was started with.
        const seen = `${env.AUTHCTL_CONFIG_DIR}/browser-env`;
        const browser = `${env.AUTHCTL_CONFIG_DIR}/browser`;
        await Deno.writeTextFile(browser, `#!/bin/sh\nenv > '${seen}'\n`);
        await Deno.chmod(browser, 0o755);
        const { url, result } = await loopbackLogin({
          ...env,
          BROWSER: browser,
        });
        assertEquals(result.code, 0, result.stderr);
        assertEquals(url.pathname, "/github/login/oauth/authorize");
        // Programs authctl starts never get the client's secret.
        const browserEnv = await Deno.readTextFile(seen);
        assertMatch(browserEnv, /AUTHCTL_CLIENT_ID=/);
        assertEquals(browserEnv.includes(d.github.clientSecret!), false);
        const exec = await runCli([
          "exec",
          "--",
          "sh",
          "-c",
          'printf "%s" "${AUTHCTL_CLIENT_SECRET-withheld}"',
        ], env);
        assertEquals(exec.stdout, "withheld");
        assertEquals(url.searchParams.has("nonce"), false);
        assertNotMatch(
          url.searchParams.get("scope") ?? "",
          /openid|offline_access/,
        );
        assertMatch(
          result.stderr,
          /Logged in as alice \(alice@double\.test\)/,
        );
        // OAuth-app tokens do not expire and come without a refresh token.
        assertMatch(result.stderr, /No refresh token came with this login/);
        const status = JSON.parse(
          (await runCli(["status", "--json"], env)).stdout,
        );
        assertEquals(status.subject, "4242");
        const device = await deviceLogin(d, env);
        assertEquals(device.code, 0, device.stderr);
        const logout = await runCli(["logout"], env);
        assertEquals(logout.code, 0, logout.stderr);
        assertMatch(logout.stderr, /offers no revocation/);
      },
    );

    await t.step(
      "GitHub negative control: form-encoded without Accept JSON, errors with HTTP 200",
      async () => {
        const res = await fetch(
          `${d.github.issuer}/login/oauth/access_token`,
          {
            method: "POST",
            body: new URLSearchParams({
              client_id: d.github.clientId,
              client_secret: d.github.clientSecret!,
              grant_type: "authorization_code",
              code: "no-such-code",
            }),
          },
        );
        assertEquals(res.status, 200);
        assertEquals(
          res.headers.get("content-type"),
          "application/x-www-form-urlencoded",
        );
        const text = await res.text();
        assertEquals(
          new URLSearchParams(text).get("error"),
          "bad_verification_code",
        );
        let parsed = true;
        try {
          JSON.parse(text);
        } catch {
          parsed = false;
        }
        assertEquals(parsed, false, "a client expecting JSON fails here");
        // And authctl without the secret: the provider's own error, exit 3.
        const env = await envFor({
          AUTHCTL_PROVIDER: "github",
          AUTHCTL_ISSUER: d.github.issuer,
          AUTHCTL_CLIENT_ID: d.github.clientId,
          AUTHCTL_CLIENT_AUTH: "none",
        });
        const { result } = await loopbackLogin(env);
        assertEquals(result.code, 3, result.stderr);
        assertMatch(result.stderr, /incorrect_client_credentials/);
      },
    );

    await t.step(
      "Google: access_type=offline instead of offline_access, the desktop secret, refresh keeps the token",
      async () => {
        const env = await envFor({
          AUTHCTL_PROVIDER: "google",
          AUTHCTL_ISSUER: d.google.issuer,
          AUTHCTL_CLIENT_ID: d.google.clientId,
          AUTHCTL_CLIENT_SECRET: d.google.clientSecret!,
        });
        const { url, result } = await loopbackLogin(env);
        assertEquals(result.code, 0, result.stderr);
        assertEquals(url.searchParams.get("access_type"), "offline");
        // gcloud's choice: the account's email and name, not a number.
        assertEquals(url.searchParams.get("scope"), "openid email profile");
        assertEquals(url.searchParams.has("prompt"), false);
        const before = await new FileStore({
          configDir: env.AUTHCTL_CONFIG_DIR,
        })
          .get("default");
        assert(before?.refreshToken, "a refresh token");
        const refreshed = await runCli(["token", "--force-refresh"], env);
        assertEquals(refreshed.code, 0, refreshed.stderr);
        const after = await new FileStore({
          configDir: env.AUTHCTL_CONFIG_DIR,
        })
          .get("default");
        assertEquals(after?.refreshToken, before.refreshToken);
        assert(after?.accessToken !== before.accessToken);
        // The secret is sent, and never shown: not in --debug, not stored.
        const traced = await runCli(
          ["token", "--force-refresh", "--debug"],
          env,
        );
        assertEquals(traced.code, 0, traced.stderr);
        assertMatch(traced.stderr, /client_secret=\[redacted\]/);
        assertEquals(traced.stderr.includes(d.google.clientSecret!), false);
        const stored = await Deno.readTextFile(
          `${env.AUTHCTL_CONFIG_DIR}/credentials/default.json`,
        );
        assertEquals(stored.includes(d.google.clientSecret!), false);
        // verification_url, and the secret when polling.
        const device = await deviceLogin(d, env);
        assertEquals(device.code, 0, device.stderr);
        assertEquals((await runCli(["logout"], env)).code, 0);
      },
    );

    await t.step(
      "Google negative control: offline_access is invalid_scope; no secret, no token",
      async () => {
        const auth = await fetch(
          `${d.google.issuer}/authorize?${new URLSearchParams({
            client_id: d.google.clientId,
            redirect_uri: "http://127.0.0.1:1/callback",
            scope: "openid offline_access",
            state: "s",
          })}`,
          { redirect: "manual" },
        );
        await auth.body?.cancel();
        assertMatch(
          auth.headers.get("location") ?? "",
          /error=invalid_scope/,
        );
        const env = await envFor({
          AUTHCTL_PROVIDER: "google",
          AUTHCTL_ISSUER: d.google.issuer,
          AUTHCTL_CLIENT_ID: d.google.clientId,
          AUTHCTL_CLIENT_AUTH: "none",
        });
        const { result } = await loopbackLogin(env);
        assertEquals(result.code, 3, result.stderr);
        assertMatch(result.stderr, /client_secret is missing/);
        // And offline_access forced on: refused by the provider.
        const forced = await loopbackLogin(
          { ...env, AUTHCTL_CLIENT_SECRET: d.google.clientSecret! },
          ["--offline-access"],
        );
        assertEquals(forced.result.code, 5, forced.result.stderr);
        assertMatch(forced.result.stderr, /invalid_scope/);
      },
    );

    await t.step(
      "Microsoft: tenant template, localhost redirect, offline_access without prompt",
      async () => {
        const env = await envFor({
          AUTHCTL_PROVIDER: "microsoft",
          AUTHCTL_ISSUER: d.microsoft.issuer,
          AUTHCTL_CLIENT_ID: d.microsoft.clientId,
        });
        const { url, result } = await loopbackLogin(env);
        assertEquals(result.code, 0, result.stderr);
        assertEquals(url.searchParams.has("prompt"), false);
        assertMatch(url.searchParams.get("scope")!, /offline_access/);
        assertMatch(
          url.searchParams.get("redirect_uri")!,
          /^http:\/\/localhost:\d+\/callback$/,
        );
        const status = JSON.parse(
          (await runCli(["status", "--json"], env)).stdout,
        );
        assertEquals(status.identity.tid, d.tenant);
        assertEquals(status.canRefresh, true);
        const refreshed = await runCli(["token", "--force-refresh"], env);
        assertEquals(refreshed.code, 0, refreshed.stderr);
        // A refresh must keep the tenant the user logged in to.
        const other = "11111111-2222-3333-4444-555555555555";
        await (await fetch(`${d.url}/__tenant?tid=${other}`, {
          method: "POST",
        }))
          .body?.cancel();
        const moved = await runCli(["token", "--force-refresh"], env);
        await (await fetch(`${d.url}/__tenant`, { method: "POST" })).body
          ?.cancel();
        assertEquals(moved.code, 3, moved.stderr);
        assertMatch(
          moved.stderr,
          new RegExp(`names another tenant \\("${other}"`),
        );
        const device = await deviceLogin(d, env);
        assertEquals(device.code, 0, device.stderr);
        const logout = await runCli(["logout"], env);
        assertEquals(logout.code, 0, logout.stderr);
        assertMatch(logout.stderr, /offers no revocation/);
      },
    );

    await t.step(
      "Microsoft negative control: prompt=consent is AADSTS90094; the issuer is a template",
      async () => {
        const env = await envFor({
          AUTHCTL_PROVIDER: "microsoft",
          AUTHCTL_ISSUER: d.microsoft.issuer,
          AUTHCTL_CLIENT_ID: d.microsoft.clientId,
          AUTHCTL_PROMPT: "consent",
        });
        const { result } = await loopbackLogin(env);
        assertEquals(result.code, 5, result.stderr);
        assertMatch(result.stderr, /AADSTS90094/);
        const meta = await (await fetch(
          `${d.microsoft.issuer}/.well-known/openid-configuration`,
        )).json();
        assert(meta.issuer !== d.microsoft.issuer, "a strict client refuses");
        // Without the preset, authctl refuses it too, and says what to set.
        const r = await runCli(
          ["login", "--flow", "paste"],
          { ...env, AUTHCTL_PROVIDER: "oidc" },
          "",
        );
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /set provider = "microsoft"/);
      },
    );

    await t.step(
      "Auth0: issuer with its slash, rotation; a replayed refresh token revokes the family",
      async () => {
        const env = await envFor({
          AUTHCTL_ISSUER: d.auth0.issuer,
          AUTHCTL_CLIENT_ID: d.auth0.clientId,
        });
        const { url, result } = await loopbackLogin(env);
        assertEquals(result.code, 0, result.stderr);
        assertMatch(url.searchParams.get("scope")!, /offline_access/);
        const store = new FileStore({ configDir: env.AUTHCTL_CONFIG_DIR });
        const first = (await store.get("default"))!;
        assertEquals(
          (await runCli(["token", "--force-refresh"], env)).code,
          0,
        );
        const second = (await store.get("default"))!;
        assert(second.refreshToken !== first.refreshToken, "rotated");
        const device = await deviceLogin(d, env);
        assertEquals(device.code, 0, device.stderr);
        assertEquals((await runCli(["logout"], env)).code, 0);
        // The issuer without its slash: refused, naming the exact value.
        const noSlash = await runCli(
          ["login", "--flow", "paste"],
          { ...env, AUTHCTL_ISSUER: d.auth0.issuer.replace(/\/$/, "") },
          "",
        );
        assertEquals(noSlash.code, 3);
        assertMatch(
          noSlash.stderr,
          new RegExp(
            `use exactly "${d.auth0.issuer.replaceAll(".", "\\.")}"`,
          ),
        );
      },
    );

    await t.step(
      "Auth0 negative control: reusing a rotated refresh token ends the grant",
      async () => {
        const env = await envFor({
          AUTHCTL_ISSUER: d.auth0.issuer,
          AUTHCTL_CLIENT_ID: d.auth0.clientId,
        });
        assertEquals((await loopbackLogin(env)).result.code, 0);
        const store = new FileStore({ configDir: env.AUTHCTL_CONFIG_DIR });
        const old = (await store.get("default"))!.refreshToken!;
        assertEquals(
          (await runCli(["token", "--force-refresh"], env)).code,
          0,
        );
        // A client that replays the old token…
        const replay = await fetch(`${d.auth0.issuer}token`, {
          method: "POST",
          body: new URLSearchParams({
            grant_type: "refresh_token",
            refresh_token: old,
            client_id: d.auth0.clientId,
          }),
        });
        assertEquals(replay.status, 400);
        await replay.body?.cancel();
        // …loses the current one too.
        const after = await runCli(["token", "--force-refresh"], env);
        assertEquals(after.code, 4, after.stderr);
        assertMatch(after.stderr, /invalid_grant/);
      },
    );
  },
});
