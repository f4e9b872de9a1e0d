/**
 * End to end: README promises that once did not hold, checked against the
 * real CLI, the real provider, a real gnome-keyring and a `$BROWSER` that
 * records being called — credentials that stay where they were put, a
 * storage problem found before anyone approves, `--no-browser` in every
 * flow, and messages that say what happened.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
} from "../support/assert.ts";
import { runCli } from "../support/cli.ts";
import { startPrivateKeyring } from "../support/keyring.ts";
import { browserLogin } from "../support/browser_login.ts";
import { startE2e } from "../support/e2e.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A `$BROWSER` command that only writes down that it was called. */
async function recordingBrowser(dir: string) {
  const log = `${dir}/browser-called`;
  const script = `${dir}/record-browser`;
  await Deno.writeTextFile(script, `#!/bin/sh\necho "$@" >> '${log}'\n`);
  await Deno.chmod(script, 0o755);
  return {
    command: script,
    called: () => Deno.stat(log).then(() => true, () => false),
  };
}

async function readJson(path: string) {
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test({
  name: "e2e: credentials stay where they were put (with a Secret Service)",
  ...opts,
  async fn(t) {
    await using e2e = await startE2e({ browser: true });
    const { browser, configDir } = e2e;
    const keyring = await startPrivateKeyring();
    e2e.defer(() => keyring.stop());
    const env = {
      ...e2e.env,
      DBUS_SESSION_BUS_ADDRESS: keyring.env.DBUS_SESSION_BUS_ADDRESS,
    };
    const keychainEntries = async () =>
      (await keyring.secretTool("search", "--all", "service", "authctl"))
        .stdout.trim();
    await t.step(
      "login --storage file, then a refresh: still in the file",
      async () => {
        await browserLogin(browser, ["--storage", "file"], env);
        const file = `${configDir}/credentials/default.json`;
        const before = await readJson(file);
        assertEquals(
          await readJson(`${configDir}/credentials/backends.meta`),
          { default: "file" },
        );
        // A plain `token` (storage auto) whose token is due for a refresh.
        const r = await runCli(["token", "--force-refresh"], env);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(r.stderr, "");
        const after = await readJson(file);
        assert(after.accessToken !== before.accessToken, "refreshed");
        assertEquals(r.stdout.trim(), after.accessToken);
        assertEquals(
          await readJson(`${configDir}/credentials/backends.meta`),
          { default: "file" },
        );
        assertEquals(await keychainEntries(), "");
        // git's erase rewrites it in place too.
        const erase = await runCli(
          ["git-credential", "erase", "--host", "git.example"],
          env,
          `protocol=https\nhost=git.example\npassword=${after.accessToken}\n\n`,
        );
        assertEquals(erase.code, 0, erase.stderr);
        assertEquals(await keychainEntries(), "");
        assert(typeof (await readJson(file)).retiredAt === "number");
      },
    );
    await t.step(
      "status says a retired token was retired, not 'expired 1970'",
      async () => {
        const r = await runCli(["status"], env);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(
          r.stdout,
          /Access token: +retired after the server refused it; the next command refreshes it/,
        );
        assertNotMatch(r.stdout, /1970|expired/);
        const json = JSON.parse(
          (await runCli(["status", "--json"], env)).stdout,
        );
        assertEquals(json.accessTokenState, "retired");
        assertEquals(json.accessTokenValid, false);
        // The next token refreshes, and the mark is gone.
        assertEquals((await runCli(["token"], env)).code, 0);
        const again = JSON.parse(
          (await runCli(["status", "--json"], env)).stdout,
        );
        assertEquals(again.accessTokenState, "valid");
        assertEquals(again.storage.backend, "file");
      },
    );
    await t.step(
      "a plain login keeps the file; --storage keychain moves it there",
      async () => {
        await browserLogin(browser, ["--force"], env);
        assertEquals(
          await readJson(`${configDir}/credentials/backends.meta`),
          { default: "file" },
        );
        assertEquals(await keychainEntries(), "");
        await browserLogin(
          browser,
          ["--force", "--storage", "keychain"],
          env,
        );
        assertEquals(
          await readJson(`${configDir}/credentials/backends.meta`),
          { default: "keychain" },
        );
        assert(await keychainEntries() !== "");
        assertEquals(
          await Deno.stat(`${configDir}/credentials/default.json`).then(
            () => true,
            () => false,
          ),
          false,
        );
        assertEquals((await runCli(["logout"], env)).code, 0);
      },
    );
  },
});

Deno.test({
  name:
    "e2e: without a keychain, --no-browser, and messages that tell the truth",
  ...opts,
  async fn(t) {
    await using e2e = await startE2e({ browser: true });
    const { provider, browser, configDir } = e2e;
    const recorder = await recordingBrowser(configDir);
    // No DBUS_SESSION_BUS_ADDRESS: no keychain answers here.
    const env = { ...e2e.env, BROWSER: recorder.command };
    await t.step(
      "--storage keychain fails before any browser is opened",
      async () => {
        const r = await runCli(
          ["login", "--flow", "loopback", "--storage", "keychain"],
          env,
        );
        assertEquals(r.code, 1, r.stderr);
        assertMatch(
          r.stderr,
          /The OS keychain is not usable here: .*--storage file/,
        );
        assertMatch(r.stderr, /--storage file/);
        assertNotMatch(r.stderr, /http:\/\/127\.0\.0\.1:\d+\/auth/);
        assertEquals(await recorder.called(), false);
      },
    );
    await t.step(
      "--flow loopback --no-browser prints the URL and opens nothing",
      async () => {
        const r = await browserLogin(
          browser,
          ["--flow", "loopback", "--no-browser"],
          env,
        );
        assertEquals(await recorder.called(), false);
        assertNotMatch(r.stderr, /Opening your browser/);
        // Said once, when the file was first chosen.
        assertEquals(
          r.stderr.match(/No OS keychain answers here/g)?.length,
          1,
        );
      },
    );
    await t.step(
      "negative control: without --no-browser it is called",
      async () => {
        await browserLogin(browser, ["--flow", "loopback", "--force"], env);
        assertEquals(await recorder.called(), true);
      },
    );
    await t.step(
      "refreshes write the file in place, never probing or announcing again",
      async () => {
        const first = (await runCli(["token"], env)).stdout;
        // Twenty calls that each refresh: not a word on stderr.
        for (let i = 0; i < 20; i++) {
          const r = await runCli(["token", "--force-refresh"], env);
          assertEquals(r.code, 0, r.stderr);
          assertEquals(r.stderr, "");
          assert(r.stdout !== first);
        }
        const relogin = await browserLogin(
          browser,
          ["--force", "--flow", "loopback", "--no-browser"],
          env,
        );
        assertNotMatch(relogin.stderr, /No OS keychain answers here/);
      },
    );
    await t.step(
      "token --id-token with a --min-ttl longer than the ID token lives",
      async () => {
        // The provider's ID tokens live 3600 s.
        const r = await runCli(
          ["token", "--id-token", "--min-ttl", "7200"],
          env,
        );
        assertEquals(r.code, 4);
        assertMatch(
          r.stderr,
          /issued a new ID token .* but it lives 3600 s in all, less than --min-ttl \(7200 s\)\. Give a smaller --min-ttl\./,
        );
        assertNotMatch(r.stderr, /did not issue/);
      },
    );
    await t.step(
      "status after the provider refused the refresh token",
      async () => {
        const stored = await readJson(
          `${configDir}/credentials/default.json`,
        );
        // The grant ends at the provider (as when an admin revokes it).
        const res = await fetch(`${provider.issuer}/token/revocation`, {
          method: "POST",
          body: new URLSearchParams({
            token: stored.refreshToken,
            client_id: provider.clientId,
          }),
        });
        await res.body?.cancel();
        assertEquals(res.status, 200);
        const refresh = await runCli(["token", "--force-refresh"], env);
        assertEquals(refresh.code, 4, refresh.stderr);
        const r = await runCli(["status"], env);
        assertEquals(r.code, 4);
        assertMatch(
          r.stdout,
          /Access token: +refused by the provider; log in again/,
        );
        assertNotMatch(r.stdout, /expired|in \d+m/);
        const json = JSON.parse(
          (await runCli(["status", "--json"], env)).stdout,
        );
        assertEquals(json.accessTokenState, "refused");
      },
    );
    await t.step(
      "status --json: the same fields in every state, null when unknown",
      async () => {
        const keys = async (e: Record<string, string>, args: string[]) =>
          Object.keys(
            JSON.parse(
              (await runCli(["status", "--json", ...args], e)).stdout,
            ),
          ).sort();
        const refused = await keys(env, []);
        const none = await keys(env, ["--profile", "nobody"]);
        const fromEnv = await keys({ ...env, AUTHCTL_TOKEN: "t" }, []);
        assertEquals(none, refused);
        assertEquals(fromEnv, refused);
        const nobody = JSON.parse(
          (await runCli(["status", "--json", "--profile", "nobody"], env))
            .stdout,
        );
        assertEquals(nobody.subject, null);
        assertEquals(nobody.expiresAt, null);
        assertEquals(nobody.accessTokenState, null);
      },
    );
    await t.step(
      "a missing --ca-file is exit 2 and names the fix",
      async () => {
        const r = await runCli(
          ["login", "--force", "--ca-file", `${configDir}/no-such.pem`],
          env,
        );
        assertEquals(r.code, 2, r.stderr);
        assertMatch(
          r.stderr,
          /Cannot read the CA bundle ".*no-such\.pem": no such file\. Give the path of a PEM file .* with --ca-file or AUTHCTL_CA_FILE, or unset it\./,
        );
      },
    );
  },
});
