/**
 * The server side: real CLI logins against oidc-provider, then their ID
 * tokens presented to examples/cli_auth_server.ts and to `authctl verify`;
 * and the library (mod.ts) driven by examples/embed_login.ts.
 */

import * as jose from "jose";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { approveLogin } from "../../scripts/headless_browser.ts";
import { OTHER_CLIENT_ID } from "../../scripts/demo_provider.ts";
import { cliAuthHandler } from "../../examples/cli_auth_server.ts";
import {
  AUTH_URL,
  cliArgs,
  runCli,
  spawnCli,
  spawnCommand,
} from "../support/cli.ts";
import type { Browser } from "playwright-core";
import { startE2e } from "../support/e2e.ts";

const examples = new URL("../../examples/", import.meta.url).pathname;

async function loginAndIdToken(
  browser: Browser,
  env: Record<string, string>,
): Promise<string> {
  const cli = await spawnCli(["login"], env);
  const [, url] = await cli.waitFor(AUTH_URL);
  await (await approveLogin(await browser.newPage(), url)).close();
  const r = await cli.finish();
  assertEquals(r.code, 0, r.stderr);
  return (await runCli(["token", "--id-token"], env)).stdout.trim();
}

/** Posts `token` to the endpoint; resolves with the status and body. */
async function present(base: string, token: string) {
  const r = await fetch(`${base}/api/cli-auth`, {
    method: "POST",
    body: new URLSearchParams({ token }),
  });
  return {
    status: r.status,
    cookie: r.headers.get("set-cookie"),
    body: await r.json(),
  };
}

/** The same claims signed by a key the issuer never published. */
async function resign(jwt: string, kid?: string): Promise<string> {
  const payload = jose.decodeJwt(jwt);
  const { privateKey } = await jose.generateKeyPair("RS256");
  return await new jose.SignJWT(payload)
    .setProtectedHeader({ alg: "RS256", ...(kid ? { kid } : {}) })
    .sign(privateKey);
}

Deno.test({
  name: "e2e: a backend accepts the CLI's ID token and refuses the wrong ones",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using e2e = await startE2e({
      browser: true,
      env: { AUTHCTL_STORAGE: "file" },
    });
    const { provider, browser, env: ours } = e2e;
    const theirs = await e2e.envFor({
      AUTHCTL_ISSUER: provider.issuer,
      AUTHCTL_CLIENT_ID: OTHER_CLIENT_ID,
      AUTHCTL_PROMPT: "consent",
    });
    const options = { issuer: provider.issuer, audiences: [provider.clientId] };
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      cliAuthHandler(options),
    );
    // The same endpoint two hours from now.
    const later = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      cliAuthHandler({ ...options, now: () => Date.now() + 2 * 3600_000 }),
    );
    e2e.defer(() => Promise.all([server.shutdown(), later.shutdown()]));
    const base = `http://127.0.0.1:${server.addr.port}`;
    const idToken = await loginAndIdToken(browser, ours);
    const otherToken = await loginAndIdToken(browser, theirs);
    const { kid } = jose.decodeProtectedHeader(idToken);

    await t.step("the CLI's ID token becomes a session", async () => {
      const r = await present(base, idToken);
      assertEquals(r.status, 200, JSON.stringify(r.body));
      assertEquals(r.body.sub, "alice");
      assertMatch(
        r.cookie ?? "",
        /^session=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict/,
      );
      const me = await fetch(`${base}/api/me`, {
        headers: { cookie: r.cookie!.split(";")[0] },
      });
      assertEquals(await me.json(), { sub: "alice" });
      const none = await fetch(`${base}/api/me`);
      assertEquals(none.status, 401);
      await none.body?.cancel();
    });

    await t.step(
      "refused: another client's, expired, re-signed, malformed",
      async () => {
        const cases: [string, string, string][] = [
          ["another client", otherToken, "audience not allowed"],
          [
            "re-signed, same kid",
            await resign(idToken, kid),
            "bad signature",
          ],
          [
            "re-signed, unknown kid",
            await resign(idToken, "someone-elses-key"),
            "signed with a key the issuer does not publish",
          ],
          [
            "alg none",
            new jose.UnsecuredJWT(jose.decodeJwt(idToken)).encode(),
            "not a signed JWT",
          ],
          [
            "HS256 with the client ID as the secret",
            await new jose.SignJWT(jose.decodeJwt(idToken))
              .setProtectedHeader({ alg: "HS256" })
              .sign(new TextEncoder().encode(provider.clientId.padEnd(32))),
            "signature algorithm not allowed",
          ],
          ["garbage", "not-a-token", "not a signed JWT"],
        ];
        for (const [what, token, reason] of cases) {
          const r = await present(base, token);
          assertEquals([r.status, r.body], [401, {
            error: "invalid_token",
            reason,
          }], what);
        }
        const expired = await present(
          `http://127.0.0.1:${later.addr.port}`,
          idToken,
        );
        assertEquals([expired.status, expired.body.reason], [401, "expired"]);
      },
    );

    await t.step(
      "authctl verify prints the claims, or exits 4 with the reason",
      async () => {
        const ok = await runCli(
          [
            "verify",
            "--issuer",
            provider.issuer,
            "--audience",
            provider.clientId,
          ],
          ours,
          idToken + "\n",
        );
        assertEquals(ok.code, 0, ok.stderr);
        const claims = JSON.parse(ok.stdout);
        assertEquals([claims.sub, claims.aud, claims.iss], [
          "alice",
          provider.clientId,
          provider.issuer,
        ]);
        const both = await runCli(
          [
            "verify",
            "--issuer",
            provider.issuer,
            "--audience",
            provider.clientId,
            "--audience",
            OTHER_CLIENT_ID,
            "-",
          ],
          ours,
          otherToken,
        );
        assertEquals(both.code, 0, both.stderr);
        const refused = await runCli(
          [
            "verify",
            "--issuer",
            provider.issuer,
            "--audience",
            provider.clientId,
          ],
          ours,
          otherToken,
        );
        assertEquals(refused.code, 4);
        assertEquals(refused.stdout, "");
        assertMatch(
          refused.stderr,
          /^authctl: The ID token was refused: audience not allowed\.\n$/,
        );
        const wrongIssuer = await runCli(
          ["verify", "--issuer", `${provider.issuer}/`, "--audience", "x"],
          ours,
          idToken,
        );
        assertEquals(wrongIssuer.code, 3, wrongIssuer.stderr);
      },
    );

    await t.step("the example endpoint runs as a program", async () => {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net=127.0.0.1",
          `${examples}cli_auth_server.ts`,
          "--issuer",
          provider.issuer,
          "--audience",
          provider.clientId,
          "--port",
          "0",
        ],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      try {
        const reader = child.stdout.pipeThrough(new TextDecoderStream())
          .getReader();
        const line = (await reader.read()).value ?? "";
        reader.releaseLock();
        const url = /listening on (http:\/\/\S+)\/api\/cli-auth/.exec(line);
        assert(url, line);
        const r = await present(url[1], idToken);
        assertEquals([r.status, r.body.sub], [200, "alice"]);
      } finally {
        child.kill("SIGTERM");
        await child.status;
        await child.stdout.cancel().catch(() => {});
      }
    });
  },
});

Deno.test({
  name:
    "e2e: the library logs a program of its own in (examples/embed_login.ts)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using e2e = await startE2e({ browser: true });
    const { provider, browser, configDir: config } = e2e;
    const permissions = (await cliArgs()).filter((w) =>
      w.startsWith("--allow-")
    );
    const env = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? config,
      ...(Deno.env.get("DENO_DIR")
        ? { DENO_DIR: Deno.env.get("DENO_DIR")! }
        : {}),
      // Its own variable, named after the program.
      ACME_MINI_CONFIG_DIR: config,
      BROWSER: "true",
      NO_COLOR: "1",
    };
    const miniArgv = (command: string) => [
      Deno.execPath(),
      "run",
      ...permissions,
      `${examples}embed_login.ts`,
      "--issuer",
      provider.issuer,
      "--client-id",
      provider.clientId,
      command,
    ];
    const mini = (command: string) =>
      new Deno.Command(miniArgv(command)[0], {
        args: miniArgv(command).slice(1),
        env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      });
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    const login = spawnCommand(miniArgv("login"), env);
    const [, url] = await login.waitFor(AUTH_URL);
    await (await approveLogin(await browser.newPage(), url)).close();
    const { code, stdout, stderr } = await login.finish();
    assertEquals(code, 0, stderr);
    assertEquals(stdout, "acme-mini: logged in as alice\n");
    assert(
      [...Deno.readDirSync(config)].length > 0,
      "kept under ACME_MINI_CONFIG_DIR",
    );

    const whoami = await mini("whoami").output();
    assertEquals(whoami.code, 0, text(whoami.stderr));
    assertMatch(
      text(whoami.stdout),
      /^acme-mini: alice \(token of \d+ characters/,
    );
    const logout = await mini("logout").output();
    assertEquals(
      text(logout.stdout),
      "acme-mini: logged out (revocation: revoked)\n",
    );
    const after = await mini("whoami").output();
    assertEquals(after.code, 4);
    assertMatch(text(after.stderr), /^acme-mini: Not logged in/);
  },
});
