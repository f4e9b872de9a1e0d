/**
 * End to end: what comes after a login at providers as they really behave
 * (the doubles of tests/support/provider_doubles.ts): the next `token`, the
 * `status` line, and every hint a message gives, run as a person would
 * run it to see that it makes progress.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
} from "../support/assert.ts";
import { cliArgs, runCli, spawnCommand } from "../support/cli.ts";
import { deviceLogin } from "../support/doubles_login.ts";
import { hintIn, runHint } from "../support/hints.ts";
import { FileStore } from "../../src/store/file_store.ts";
import type { StoredCredential } from "../../src/store/types.ts";
import { startE2e } from "../support/e2e.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** The CLI's own command line, for a shell. */
async function cliCommand(): Promise<string[]> {
  return [Deno.execPath(), ...await cliArgs()];
}

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The stored credential's ID token claims. */
function claims(credential: StoredCredential): Record<string, unknown> {
  return JSON.parse(
    new TextDecoder().decode(
      Uint8Array.fromBase64(credential.idToken!.split(".")[1], {
        alphabet: "base64url",
      }),
    ),
  );
}

Deno.test({
  name: "e2e: after the login, at providers as they behave",
  ...opts,
  async fn(t) {
    await using e2e = await startE2e({ provider: false, doubles: true });
    const { doubles: d, envFor } = e2e;
    const storeOf = (env: Record<string, string>) =>
      new FileStore({ configDir: env.AUTHCTL_CONFIG_DIR });
    const login = (env: Record<string, string>, args: string[] = []) =>
      runHint(["login", "--flow", "loopback", "--force", ...args], env);
    const device = (env: Record<string, string>) => deviceLogin(d, env);
    // A resource that refuses one token with RFC 6750's challenge.
    let refused = "";
    const api = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) =>
        req.headers.get("authorization") === `Bearer ${refused}`
          ? new Response("no", {
            status: 401,
            headers: {
              "www-authenticate":
                'Bearer error="invalid_token", error_description="revoked"',
            },
          })
          : Response.json({ ok: true }),
    );
    e2e.defer(() => api.shutdown());
    const apiUrl = `http://127.0.0.1:${api.addr.port}/me`;
    await t.step(
      "GitHub OAuth-app tokens state no lifetime: used hours later, until refused",
      async () => {
        const env = await envFor({
          AUTHCTL_PROVIDER: "github",
          AUTHCTL_ISSUER: d.github.issuer,
          AUTHCTL_CLIENT_ID: d.github.clientId,
          AUTHCTL_CLIENT_SECRET: d.github.clientSecret!,
        });
        const r = await login(env);
        assertEquals(r.code, 0, r.stderr);
        const store = storeOf(env);
        const stored = (await store.get("default"))!;
        assertEquals(stored.expiresAt, undefined, "the double states none");
        // Two hours on.
        await store.set("default", {
          ...stored,
          obtainedAt: stored.obtainedAt - 2 * 3600_000,
        });
        const token = await runCli(["token"], env);
        assertEquals(token.code, 0, token.stderr);
        assertEquals(token.stdout.trim(), stored.accessToken);
        const status = await runCli(["status"], env);
        assertEquals(status.code, 0, status.stderr);
        assertMatch(status.stdout, /Logged in: +yes as alice/);
        assertMatch(
          status.stdout,
          /Access token: +no lifetime stated \(used until the provider refuses it\)/,
        );
        // Refused by a server: exit 4, the challenge readable, the login.
        refused = stored.accessToken;
        const call = await runCli(["api", apiUrl], env);
        assertEquals(call.code, 4, call.stderr);
        assertMatch(call.stderr, /Bearer error="invalid_token"/);
        const after = await runCli(["token"], env);
        assertEquals(after.code, 4, after.stderr);
        assertMatch(after.stderr, /was refused by a server/);
        const again = await runHint(hintIn(call.stderr), env);
        assertEquals(again.code, 0, again.stderr);
        assertEquals((await runCli(["api", apiUrl], env)).code, 0);
      },
    );

    await t.step(
      "GitHub's device flow needs no secret; a GitHub App's device tokens refresh without it",
      async () => {
        const env = await envFor({
          AUTHCTL_PROVIDER: "github",
          AUTHCTL_ISSUER: d.github.issuer,
          AUTHCTL_CLIENT_ID: d.githubApp.clientId,
        });
        const r = await device(env);
        assertEquals(r.code, 0, r.stderr);
        const before = (await storeOf(env).get("default"))!;
        assert(before.refreshToken, "GitHub App tokens come with one");
        assert(before.expiresAt, "and expire (8 h)");
        const refreshed = await runCli(["token", "--force-refresh"], env);
        assertEquals(refreshed.code, 0, refreshed.stderr);
        const after = (await storeOf(env).get("default"))!;
        assert(after.refreshToken !== before.refreshToken, "rotated");
        // Negative control: web-flow tokens of the same app need the secret
        // to refresh, at the double as at GitHub.
        const web = await envFor({
          AUTHCTL_PROVIDER: "github",
          AUTHCTL_ISSUER: d.github.issuer,
          AUTHCTL_CLIENT_ID: d.githubApp.clientId,
          AUTHCTL_CLIENT_SECRET: d.github.clientSecret!,
        });
        assertEquals((await login(web)).code, 0);
        const entry = (await storeOf(web).get("default"))!;
        const replay = await fetch(
          `${d.github.issuer}/login/oauth/access_token`,
          {
            method: "POST",
            headers: { accept: "application/json" },
            body: new URLSearchParams({
              grant_type: "refresh_token",
              refresh_token: entry.refreshToken!,
              client_id: d.githubApp.clientId,
            }),
          },
        );
        assertEquals(
          (await replay.json()).error,
          "incorrect_client_credentials",
        );
      },
    );

    await t.step(
      "Entra: profile is asked for, so status names the account, and keeps it after a refresh",
      async () => {
        const env = await envFor({
          AUTHCTL_PROVIDER: "microsoft",
          AUTHCTL_ISSUER: d.microsoft.issuer,
          AUTHCTL_CLIENT_ID: d.microsoft.clientId,
        });
        const r = await login(env);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /Logged in as alice/);
        const first = (await storeOf(env).get("default"))!;
        assertEquals(claims(first).name, "Alice Example");
        const refreshed = await runCli(["token", "--force-refresh"], env);
        assertEquals(refreshed.code, 0, refreshed.stderr);
        const stored = (await storeOf(env).get("default"))!;
        // The double's refreshed ID token names nobody…
        assertEquals(claims(stored).name, undefined);
        assertEquals(claims(stored).sub, "alice-sub");
        // …and status still does.
        const status = JSON.parse(
          (await runCli(["status", "--json"], env)).stdout,
        );
        assertEquals(status.name, "Alice Example");
        assertEquals(status.identity.preferred_username, "alice");
        // Negative control: with scopes of one's own (no profile), Entra's
        // ID token names an opaque sub only.
        const bare = await login(env, ["--scope", "User.Read"]);
        assertEquals(bare.code, 0, bare.stderr);
        const opaque = (await storeOf(env).get("default"))!;
        assertEquals(claims(opaque).name, undefined);
        assertEquals(claims(opaque).preferred_username, undefined);
      },
    );

    await t.step(
      "Google: email and profile are asked for, so status names the account",
      async () => {
        const env = await envFor({
          AUTHCTL_PROVIDER: "google",
          AUTHCTL_ISSUER: d.google.issuer,
          AUTHCTL_CLIENT_ID: d.google.clientId,
          AUTHCTL_CLIENT_SECRET: d.google.clientSecret!,
        });
        const r = await login(env);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /Logged in as alice \(alice@double\.test\)/);
      },
    );

    await t.step(
      "token --scope admin: the hint logs in for exactly those scopes, and each command's own hint works",
      async () => {
        const env = await envFor({});
        await Deno.writeTextFile(
          `${env.AUTHCTL_CONFIG_DIR}/config.toml`,
          `[profiles.demo]\nissuer = "${d.auth0.issuer}"\nclient_id = "${d.auth0.clientId}"\nscopes = ["read"]\n`,
        );
        const r = await login(env, ["--profile", "demo"]);
        assertEquals(r.code, 0, r.stderr);
        const admin = await runCli(
          ["token", "--profile", "demo", "--scope", "admin"],
          env,
        );
        assertEquals(admin.code, 4, admin.stderr);
        const hint = hintIn(admin.stderr);
        assertEquals(hint, [
          "login",
          "--profile",
          "demo",
          "--scope",
          "admin",
        ]);
        // status says the same, without contradicting itself.
        const status = await runCli(
          ["status", "--profile", "demo", "--scope", "admin"],
          env,
        );
        assertEquals(status.code, 4);
        assertMatch(
          status.stdout,
          /Logged in: +no — .*obtained for the scopes "read", not "admin"/,
        );
        assertMatch(
          status.stdout,
          /Run: +authctl login --profile demo --scope admin/,
        );
        assertNotMatch(status.stdout, /Can refresh/);
        assertMatch(
          status.stdout,
          /Access token: +expires .*, but for other settings/,
        );
        // Before the fix, login answered "Already logged in".
        const again = await runHint(hint, env);
        assertEquals(again.code, 0, again.stderr);
        assertMatch(again.stderr, /Logged in/);
        for (
          const args of [
            ["token", "--profile", "demo", "--scope", "admin"],
            ["status", "--profile", "demo", "--scope", "admin"],
          ]
        ) {
          const ok = await runCli(args, env);
          assertEquals(ok.code, 0, `${args.join(" ")}: ${ok.stderr}`);
        }
        // The profile's own scopes are other settings now: its hint logs
        // in for them again, and then it works.
        const plain = await runCli(["token", "--profile", "demo"], env);
        assertEquals(plain.code, 4, plain.stderr);
        const back = await runHint(hintIn(plain.stderr), env);
        assertEquals(back.code, 0, back.stderr);
        assertNotMatch(back.stderr, /Already logged in/);
        assertEquals(
          (await runCli(["token", "--profile", "demo"], env)).code,
          0,
        );
      },
    );

    await t.step(
      "exec with DPoP-bound tokens: the hint logs in for bearer tokens, and exec works",
      async () => {
        const env = await envFor({
          AUTHCTL_ISSUER: d.auth0.issuer,
          AUTHCTL_CLIENT_ID: d.auth0.clientId,
        });
        assertEquals((await login(env)).code, 0);
        // As a DPoP login leaves it: the tokens bound to a key.
        const store = storeOf(env);
        const stored = (await store.get("default"))!;
        await store.set("default", {
          ...stored,
          dpop: { alg: "ES256", privateJwk: {}, publicJwk: {}, jkt: "jkt" },
        });
        const exec = await runCli(["exec", "--", "true"], env);
        assertEquals(exec.code, 2, exec.stderr);
        const hint = hintIn(exec.stderr);
        assertEquals(hint, ["login", "--dpop", "never"]);
        const again = await runHint(hint, env);
        assertEquals(again.code, 0, again.stderr);
        assertNotMatch(again.stderr, /Already logged in/);
        const ok = await runCli(["exec", "--", "true"], env);
        assertEquals(ok.code, 0, ok.stderr);
      },
    );

    await t.step(
      "a misspelt profile is called what it is, and the profile it means works",
      async () => {
        const env = await envFor({});
        await Deno.writeTextFile(
          `${env.AUTHCTL_CONFIG_DIR}/config.toml`,
          `[profiles.demo]\nissuer = "${d.auth0.issuer}"\nclient_id = "${d.auth0.clientId}"\n`,
        );
        for (const command of ["token", "status", "login", "exec"]) {
          const args = command === "exec"
            ? ["exec", "--profile", "dmeo", "--", "true"]
            : [command, "--profile", "dmeo"];
          const r = await runCli(args, env, "");
          assertEquals(r.code, 2, `${command}: ${r.stderr}`);
          assertMatch(
            r.stderr,
            /No profile named "dmeo"; profiles: demo \(did you mean "demo"\?\)/,
          );
        }
        const r = await runCli(["token", "--profile", "dmeo"], env);
        // The command it names, with real values, adds it.
        const add = hintIn(r.stderr).map((w) =>
          w === "URL" ? d.auth0.issuer : w === "ID" ? d.auth0.clientId : w
        );
        assertEquals(add.slice(0, 3), ["profiles", "add", "dmeo"]);
        const added = await runHint(add, env);
        assertEquals(added.code, 0, added.stderr);
        const next = await runCli(["token", "--profile", "dmeo"], env);
        assertEquals(next.code, 4, next.stderr);
        const loggedIn = await runHint(hintIn(next.stderr), env);
        assertEquals(loggedIn.code, 0, loggedIn.stderr);
        assertEquals(
          (await runCli(["token", "--profile", "dmeo"], env)).code,
          0,
        );
      },
    );

    await t.step(
      "endpoints without a provider kind: refused before anything, naming --provider oauth2",
      async () => {
        const env = await envFor({
          AUTHCTL_ISSUER: d.github.issuer,
          AUTHCTL_CLIENT_ID: d.github.clientId,
          AUTHCTL_CLIENT_SECRET: d.github.clientSecret!,
        });
        const endpoints = [
          "--authorization-endpoint",
          `${d.github.issuer}/login/oauth/authorize`,
          "--token-endpoint",
          `${d.github.issuer}/login/oauth/access_token`,
          "--userinfo-endpoint",
          `${d.url}/github/api/v3/user`,
        ];
        const before = d.log.length;
        const r = await runCli(["login", ...endpoints], env, "");
        assertEquals(r.code, 2, r.stderr);
        assertMatch(r.stderr, /add --provider oauth2/);
        assertEquals(d.log.length, before, "nothing was sent");
        const fixed = await login(env, [
          ...endpoints,
          "--provider",
          "oauth2",
        ]);
        assertEquals(fixed.code, 0, fixed.stderr);
      },
    );

    await t.step(
      "--token-stdin with --validate-url needs no issuer or client ID; an empty stdin names the command",
      async () => {
        const env = await envFor({});
        const empty = await runCli(["login", "--token-stdin"], env, "");
        assertEquals(empty.code, 2, empty.stderr);
        assertMatch(
          empty.stderr,
          /Pipe it in: printenv TOKEN \| authctl login --token-stdin/,
        );
        // The pipeline it names, run as written: the token is read and
        // checked (here at the double's user API, which refuses it).
        const cli = (await cliCommand()).map(quote).join(" ");
        const piped = await new Deno.Command("sh", {
          args: ["-c", `printenv TOKEN | ${cli} login --token-stdin`],
          env: {
            ...env,
            TOKEN: "not-a-github-token",
            AUTHCTL_PROVIDER: "github",
            AUTHCTL_ISSUER: d.github.issuer,
            AUTHCTL_CLIENT_ID: d.github.clientId,
          },
          clearEnv: true,
        }).output();
        const said = new TextDecoder().decode(piped.stderr);
        assertEquals(piped.code, 4, said);
        assertMatch(said, /rejected the token.*Nothing was saved/);
        const r = await runCli(
          ["login", "--token-stdin", "--validate-url", apiUrl],
          env,
          "a-personal-access-token\n",
        );
        assertEquals(r.code, 0, r.stderr);
        const token = await runCli(["token"], env);
        assertEquals(token.stdout.trim(), "a-personal-access-token");
        const status = JSON.parse(
          (await runCli(["status", "--json"], env)).stdout,
        );
        assertEquals(status.issuer, null);
        assertEquals(status.loggedIn, true);
      },
    );
    await t.step(
      "over SSH, `login 2>&1 | tee log` picks the device flow: the person sees the code",
      async () => {
        const env = await envFor({
          AUTHCTL_ISSUER: d.auth0.issuer,
          AUTHCTL_CLIENT_ID: d.auth0.clientId,
          SSH_CONNECTION: "10.0.0.1 50000 10.0.0.2 22",
          BROWSER: "",
        });
        const log = `${env.AUTHCTL_CONFIG_DIR}/log`;
        const cli = (await cliCommand()).map(quote).join(" ");
        // A terminal (the pty), but stdin from /dev/null and stderr a pipe.
        const shell = spawnCommand(
          ["sh", "-c", `${cli} login --no-qr </dev/null 2>&1 | tee ${log}`],
          env,
          { pty: true },
        );
        try {
          await shell.waitFor(/enter the code/);
        } finally {
          shell.child.kill("SIGKILL");
          await shell.finish();
        }
        assertMatch(
          await Deno.readTextFile(log),
          /Logging in with a device code: this is an SSH session.*pick another with --flow loopback or --flow paste/,
        );
      },
    );

    await t.step(
      "a closed stdout ends quietly with 141, as git does",
      async () => {
        const env = await envFor({});
        const cli = (await cliCommand()).map(quote).join(" ");
        const out = await new Deno.Command("bash", {
          args: [
            "-c",
            `${cli} --help | true; echo "status=\${PIPESTATUS[0]}"`,
          ],
          env,
          clearEnv: true,
        }).output();
        const text = new TextDecoder().decode(out.stdout);
        assertMatch(text, /status=141/);
        assertEquals(new TextDecoder().decode(out.stderr), "");
      },
    );

    await t.step(
      "messages name where a bad value came from, and small ones read right",
      async () => {
        const env = await envFor({});
        const bad = async (
          extra: Record<string, string>,
          args: string[],
          said: RegExp,
        ) => {
          const r = await runCli(args, { ...env, ...extra }, "");
          assertEquals(r.code, 2, r.stderr);
          assertMatch(r.stderr, said);
        };
        await bad(
          { AUTHCTL_HTTP_TIMEOUT: "zz" },
          ["token"],
          /Invalid AUTHCTL_HTTP_TIMEOUT "zz"/,
        );
        await bad(
          { AUTHCTL_STORAGE: "disk" },
          ["token"],
          /Invalid storage "disk" \(from AUTHCTL_STORAGE\)/,
        );
        await bad(
          { AUTHCTL_FLOW: "pigeon" },
          ["token"],
          /Invalid flow "pigeon" \(from AUTHCTL_FLOW\)/,
        );
        await bad(
          { AUTHCTL_PORT: "abc", AUTHCTL_ISSUER: d.auth0.issuer },
          ["login", "--client-id", "x"],
          /Invalid port specification "abc" \(from AUTHCTL_PORT\)/,
        );
        await bad(
          {},
          ["login", "--http-timeout", "zz"],
          /Invalid --http-timeout "zz"/,
        );
        await bad(
          {},
          ["completion", "tcsh"],
          /powershell\. Run "authctl --help"/,
        );
        await bad(
          {},
          ["login", "--resourc", "x"],
          /did you mean --resource\? Run/,
        );
        const nosuch = await runCli(["help", "nosuch"], env);
        assertEquals(nosuch.code, 2);
        assertEquals(nosuch.stdout, "", "no help before the error");
        const help = await runCli(["help", "--help"], env);
        assertMatch(help.stdout, /EXAMPLES\n {2}authctl help token\n/);
        const add = await runCli(["profiles", "add", "--help"], env);
        assertNotMatch(add.stdout, /env AUTHCTL_|AUTHCTL_[A-Z_]+\)/);
        assertMatch(add.stdout, /--git-host/);
        assertMatch(add.stdout, /--oob/);
      },
    );
  },
});
