/**
 * End to end: the token lifecycle with the real CLI against oidc-provider
 * (refresh-token rotation on, as it is by default for public clients) —
 * parallel refreshes, a dead lock holder, rejected refresh tokens,
 * revocation at logout, tokens for CI.
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { approveLogin } from "../../scripts/headless_browser.ts";
import { AUTH_URL, cliEnv, runCli, spawnCli } from "../support/cli.ts";
import { startPrivateKeyring } from "../support/keyring.ts";
import { startProvider } from "../support/provider.ts";
import { FileStore } from "../../src/store/file_store.ts";
import type { Browser } from "playwright-core";
import { startE2e } from "../support/e2e.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function browserLogin(
  browser: Browser,
  env: Record<string, string>,
  args: string[] = [],
) {
  const cli = await spawnCli(["login", ...args], env);
  const [, url] = await cli.waitFor(AUTH_URL);
  await (await approveLogin(await browser.newPage(), url)).close();
  const r = await cli.finish();
  assertEquals(r.code, 0, r.stderr);
}

async function stats(issuer: string) {
  return await (await fetch(`${issuer}/__test/stats`)).json() as {
    refreshSuccess: number;
    refreshError: number;
    grantsRevoked: number;
  };
}

async function userinfo(issuer: string, token: string): Promise<number> {
  const res = await fetch(`${issuer}/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.body?.cancel();
  return res.status;
}

/** Makes the stored access token look expired (the file store keeps 0600). */
async function expire(
  configDir: string,
  profile = "default",
  change: Record<string, unknown> = {},
) {
  const store = new FileStore({ configDir });
  const credential = (await store.get(profile))!;
  await store.set(profile, {
    ...credential,
    expiresAt: Date.now() - 1000,
    ...change,
  });
  return credential;
}

Deno.test({
  name: "e2e: token lifecycle",
  ...opts,
  async fn(t) {
    await using e2e = await startE2e({
      browser: true,
      env: { AUTHCTL_STORAGE: "file" },
    });
    const { provider, browser, configDir, env } = e2e;
    await browserLogin(browser, env);

    await t.step(
      "20 processes at once after expiry: one refresh, 20 good tokens",
      async () => {
        const before = await expire(configDir);
        const s0 = await stats(provider.issuer);
        const results = await Promise.all(
          Array.from({ length: 20 }, () => runCli(["token"], env)),
        );
        for (const r of results) assertEquals(r.code, 0, r.stderr);
        const tokens = new Set(results.map((r) => r.stdout.trim()));
        assertEquals(tokens.size, 1);
        const [token] = tokens;
        assert(token !== before.accessToken);
        assertEquals(await userinfo(provider.issuer, token), 200);
        const s1 = await stats(provider.issuer);
        assertEquals(s1.refreshSuccess - s0.refreshSuccess, 1);
        assertEquals(s1.refreshError - s0.refreshError, 0);
        assertEquals(s1.grantsRevoked, s0.grantsRevoked);
        const after = (await new FileStore({ configDir }).get("default"))!;
        assert(
          after.refreshToken && after.refreshToken !== before.refreshToken,
          "rotated and saved",
        );
        assertEquals(after.identity?.sub, before.identity?.sub);
      },
    );

    await t.step(
      "the grant survives: the next refresh works too",
      async () => {
        await expire(configDir);
        const r = await runCli(["token", "--json"], env);
        assertEquals(r.code, 0, r.stderr);
        const body = JSON.parse(r.stdout);
        assertEquals(await userinfo(provider.issuer, body.access_token), 200);
        assert(Date.parse(body.expires_at) > Date.now() + 30 * 60_000);
        assertEquals((await stats(provider.issuer)).grantsRevoked, 0);
      },
    );

    await t.step(
      "--min-ttl refreshes a token that expires within it",
      async () => {
        // An hour-long token with two minutes left.
        await expire(configDir, "default", {
          obtainedAt: Date.now() - 3480_000,
          expiresAt: Date.now() + 120_000,
        });
        const s0 = await stats(provider.issuer);
        const kept = await runCli(["token", "--min-ttl", "60"], env);
        assertEquals(kept.code, 0, kept.stderr);
        assertEquals(
          (await stats(provider.issuer)).refreshSuccess,
          s0.refreshSuccess,
        );
        const r = await runCli(["token", "--min-ttl", "300"], env);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(
          (await stats(provider.issuer)).refreshSuccess,
          s0.refreshSuccess + 1,
        );
        assert(r.stdout !== kept.stdout);
      },
    );

    await t.step(
      "a token shorter-lived than --min-ttl is renewed at half its lifetime, not at every call",
      async () => {
        // A 50-second token (shorter than the default --min-ttl of 60),
        // 40 seconds left.
        await expire(configDir, "default", {
          obtainedAt: Date.now() - 10_000,
          expiresAt: Date.now() + 40_000,
        });
        const s0 = await stats(provider.issuer);
        for (let i = 0; i < 3; i++) {
          assertEquals((await runCli(["token"], env)).code, 0);
        }
        assertEquals(
          (await stats(provider.issuer)).refreshSuccess,
          s0.refreshSuccess,
        );
        // 20 seconds left: less than half its lifetime.
        await expire(configDir, "default", {
          obtainedAt: Date.now() - 30_000,
          expiresAt: Date.now() + 20_000,
        });
        assertEquals((await runCli(["token"], env)).code, 0);
        assertEquals(
          (await stats(provider.issuer)).refreshSuccess,
          s0.refreshSuccess + 1,
        );
      },
    );

    await t.step(
      "--force-refresh refreshes now; parallel forced calls never replay a refresh token",
      async () => {
        const s0 = await stats(provider.issuer);
        const before = (await runCli(["token"], env)).stdout;
        const r = await runCli(["token", "--force-refresh"], env);
        assertEquals(r.code, 0, r.stderr);
        assert(r.stdout !== before, "a new token");
        assertEquals(
          (await stats(provider.issuer)).refreshSuccess,
          s0.refreshSuccess + 1,
        );
        // Five at once: one at a time under the lock; a caller that finds a
        // token obtained after it asked takes it instead of refreshing.
        const results = await Promise.all(
          Array.from(
            { length: 5 },
            () => runCli(["token", "--force-refresh"], env),
          ),
        );
        for (const x of results) assertEquals(x.code, 0, x.stderr);
        const s1 = await stats(provider.issuer);
        assert(
          s1.refreshSuccess - s0.refreshSuccess <= 6,
          `${
            s1.refreshSuccess - s0.refreshSuccess - 1
          } refreshes for 5 forced calls`,
        );
        assertEquals(s1.grantsRevoked, 0);
      },
    );

    await t.step(
      "a lock holder killed with SIGKILL does not block the next process",
      async () => {
        const holder = new Deno.Command(Deno.execPath(), {
          args: [
            "eval",
            `import { FileLocks } from ${
              JSON.stringify(
                new URL("../../src/store/lock.ts", import.meta.url).href,
              )
            };
           await new FileLocks({ configDir: ${
              JSON.stringify(configDir)
            } }).acquire("default");
           console.log("locked");
           setInterval(() => {}, 1000);`,
          ],
          stdout: "piped",
          stderr: "inherit",
        }).spawn();
        const reader = holder.stdout.getReader();
        await reader.read();
        await expire(configDir);
        // While the holder lives, a short wait ends with a clear error.
        const blocked = await runCli(["token"], {
          ...env,
          AUTHCTL_LOCK_TIMEOUT: "1",
        });
        assertEquals(blocked.code, 1, blocked.stderr);
        assertMatch(blocked.stderr, /held the lock of profile "default"/);
        const waiting = spawnCli(["token"], {
          ...env,
          AUTHCTL_LOCK_TIMEOUT: "30",
        });
        await new Promise((r) => setTimeout(r, 500));
        const killedAt = Date.now();
        holder.kill("SIGKILL");
        await holder.status;
        reader.releaseLock();
        await holder.stdout.cancel();
        const r = await (await waiting).finish();
        assertEquals(r.code, 0, r.stderr);
        assert(Date.now() - killedAt < 10_000);
        assertEquals(await userinfo(provider.issuer, r.stdout.trim()), 200);
      },
    );

    await t.step(
      "invalid_grant: exit 4, the entry is marked, no retry",
      async () => {
        await expire(configDir, "default", {
          refreshToken: "not-a-real-refresh-token",
        });
        const s0 = await stats(provider.issuer);
        const r = await runCli(["token"], env);
        assertEquals(r.code, 4, r.stderr);
        assertMatch(r.stderr, /invalid_grant.*Run: authctl login/);
        assertEquals(r.stdout, "");
        const s1 = await stats(provider.issuer);
        assertEquals(s1.refreshError - s0.refreshError, 1);
        const again = await runCli(["token"], env);
        assertEquals(again.code, 4);
        assertEquals(
          (await stats(provider.issuer)).refreshError,
          s1.refreshError,
        );
        const status = await runCli(["status", "--json"], env);
        assertEquals(status.code, 4);
        assertEquals(JSON.parse(status.stdout).loggedIn, false);
      },
    );

    await t.step(
      "logout revokes the refresh token at the provider",
      async () => {
        await browserLogin(browser, env, ["--force"]);
        const { refreshToken } =
          (await new FileStore({ configDir }).get("default"))!;
        const r = await runCli(["logout"], env);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /The provider revoked the tokens/);
        const res = await fetch(`${provider.issuer}/token/introspection`, {
          method: "POST",
          headers: {
            authorization: `Basic ${btoa("introspector:introspector-secret")}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          body: new URLSearchParams({
            token: refreshToken!,
            token_type_hint: "refresh_token",
          }),
        });
        assertEquals((await res.json()).active, false);
        assertEquals(
          await new FileStore({ configDir }).get("default"),
          undefined,
        );
      },
    );

    await t.step(
      "login --token-stdin stores a good token, refuses a bad one",
      async () => {
        await browserLogin(browser, env, ["--force"]);
        const good = (await runCli(["token"], env)).stdout.trim();
        const ok = await runCli(
          ["login", "--token-stdin", "--profile", "ci"],
          env,
          `${good}\n`,
        );
        assertEquals(ok.code, 0, ok.stderr);
        assertMatch(ok.stderr, /Stored the token as alice/);
        assertEquals(
          (await runCli(["token", "--profile", "ci"], env)).stdout,
          `${good}\n`,
        );
        const status = JSON.parse(
          (await runCli(["status", "--json", "--profile", "ci"], env)).stdout,
        );
        assertEquals([status.loggedIn, status.flow, status.canRefresh], [
          true,
          "token",
          false,
        ]);
        const bad = await runCli(
          ["login", "--token-stdin", "--profile", "ci2"],
          env,
          "garbage\n",
        );
        assertEquals(bad.code, 4, bad.stderr);
        assertMatch(bad.stderr, /rejected the token.*Nothing was saved/);
        assertEquals(
          await new FileStore({ configDir }).get("ci2"),
          undefined,
        );
        const warned = await runCli([
          "login",
          "--with-token",
          good,
          "--profile",
          "ci3",
        ], env);
        assertEquals(warned.code, 0);
        assertMatch(warned.stderr, /shell history/);
      },
    );

    await t.step("login --token-stdin --validate-url", async () => {
      const api = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        (req) =>
          new Response(null, {
            status: req.headers.get("authorization") === "Bearer pat-good"
              ? 200
              : 401,
          }),
      );
      try {
        const url = `http://127.0.0.1:${api.addr.port}/user`;
        const ok = await runCli(
          [
            "login",
            "--token-stdin",
            "--validate-url",
            url,
            "--profile",
            "pat",
          ],
          env,
          "pat-good\n",
        );
        assertEquals(ok.code, 0, ok.stderr);
        const bad = await runCli(
          [
            "login",
            "--token-stdin",
            "--validate-url",
            url,
            "--profile",
            "pat2",
          ],
          env,
          "pat-bad\n",
        );
        assertEquals(bad.code, 4);
        assertEquals(
          await new FileStore({ configDir }).get("pat2"),
          undefined,
        );
      } finally {
        await api.shutdown();
      }
    });

    await t.step("logout --all logs every profile out", async () => {
      const r = await runCli(["logout", "--all"], env);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(await new FileStore({ configDir }).list(), []);
    });
  },
});

Deno.test({
  name:
    "e2e: logout without revocation, or with the provider down, still removes",
  ...opts,
  async fn() {
    await using e2e = await startE2e({ provider: false, browser: true });
    const { browser, configDir } = e2e;
    const plain = await startProvider(["--no-revocation"]);
    e2e.defer(() => plain.stop());
    const down = await startProvider();
    e2e.defer(() => down.stop());
    const envFor = (p: { issuer: string; clientId: string }) =>
      cliEnv(configDir, {
        AUTHCTL_ISSUER: p.issuer,
        AUTHCTL_CLIENT_ID: p.clientId,
        AUTHCTL_STORAGE: "file",
      });
    await browserLogin(browser, envFor(plain), ["--profile", "plain"]);
    await browserLogin(browser, envFor(down), ["--profile", "down"]);
    const r1 = await runCli(["logout", "--profile", "plain"], envFor(plain));
    assertEquals(r1.code, 0, r1.stderr);
    assertMatch(
      r1.stderr,
      /offers no revocation.*local credentials are removed/,
    );
    await down.stop();
    const r2 = await runCli(["logout", "--profile", "down"], envFor(down));
    assertEquals(r2.code, 0, r2.stderr);
    assertMatch(
      r2.stderr,
      /Could not revoke the tokens at the provider.*local credentials are removed/,
    );
    assertEquals(await new FileStore({ configDir }).list(), []);
  },
});

Deno.test({
  name: "e2e: AUTHCTL_TOKEN is used for one process, nothing written",
  ...opts,
  async fn() {
    await using e2e = await startE2e({ provider: false });
    const { configDir } = e2e;
    const keyring = await startPrivateKeyring();
    e2e.defer(() => keyring.stop());
    const env = cliEnv(configDir, {
      AUTHCTL_TOKEN: "env-token-123",
      DBUS_SESSION_BUS_ADDRESS: keyring.env.DBUS_SESSION_BUS_ADDRESS,
    });
    const token = await runCli(["token"], env);
    assertEquals([token.code, token.stdout], [0, "env-token-123\n"]);
    const status = await runCli(["status", "--json"], env);
    assertEquals(status.code, 0, status.stderr);
    assertEquals(JSON.parse(status.stdout).source, "environment");
    assertEquals([...Deno.readDirSync(configDir)], []);
    assertEquals(
      (await keyring.secretTool("search", "--all", "service", "authctl"))
        .stdout.trim(),
      "",
    );
  },
});
