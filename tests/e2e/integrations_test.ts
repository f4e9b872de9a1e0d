/**
 * One login serving every tool: after a real login (oidc-provider, Chromium),
 * the token formats, `header` with a real curl, `exec`, and
 * `git-credential` with a real git against a server that asks the provider
 * whether the token is live.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
} from "../support/assert.ts";
import { approveLogin } from "../../scripts/headless_browser.ts";
import { AUTH_URL, cliArgs, cliEnv, runCli, spawnCli } from "../support/cli.ts";
import { startGitServer } from "../support/git_server.ts";
import { startE2e } from "../support/e2e.ts";
import { runProgram } from "../support/run.ts";

function jwtPayload(jwt: string): Record<string, unknown> {
  return JSON.parse(
    new TextDecoder().decode(
      Uint8Array.fromBase64(jwt.split(".")[1], { alphabet: "base64url" }),
    ),
  );
}

function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  cwd?: string,
) {
  return runProgram(cmd, args, { env, cwd });
}

Deno.test({
  name: "e2e: token formats, header, exec and git-credential from one login",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using e2e = await startE2e({
      browser: true,
      env: { AUTHCTL_STORAGE: "file" },
    });
    const { provider, browser, env } = e2e;
    const work = `${e2e.dir}/work`;
    await Deno.mkdir(work);
    const git = await startGitServer(provider.issuer);
    e2e.defer(() => git.stop());
    const cli = await spawnCli(["login"], env);
    const [, url] = await cli.waitFor(AUTH_URL);
    await (await approveLogin(await browser.newPage(), url)).close();
    assertEquals((await cli.finish()).code, 0);
    const token = (await runCli(["token"], env)).stdout.trim();
    assert(token.length > 16);

    await t.step("token --format kubectl is an ExecCredential", async () => {
      const r = await runCli(["token", "--format", "kubectl"], env);
      assertEquals(r.code, 0, r.stderr);
      const cred = JSON.parse(r.stdout);
      assertEquals(cred.apiVersion, "client.authentication.k8s.io/v1");
      assertEquals(cred.kind, "ExecCredential");
      assertEquals(cred.status.token, token);
      assertMatch(
        cred.status.expirationTimestamp,
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      );
      assert(Date.parse(cred.status.expirationTimestamp) > Date.now());
      const bad = await runCli(["token", "--format", "yaml"], env);
      assertEquals(bad.code, 2);
    });

    await t.step(
      "token --id-token prints the verified ID token",
      async () => {
        const r = await runCli(["token", "--id-token"], env);
        assertEquals(r.code, 0, r.stderr);
        const jwt = r.stdout.trim();
        assertEquals(jwt.split(".").length, 3);
        const claims = jwtPayload(jwt);
        assertEquals(claims.sub, "alice");
        assertEquals(claims.aud, provider.clientId);
        assertEquals(claims.iss, provider.issuer);
        const json = JSON.parse(
          (await runCli(["token", "--id-token", "--json"], env)).stdout,
        );
        assertEquals(json.id_token, jwt);
        assertEquals(
          Date.parse(json.expires_at),
          (claims.exp as number) * 1000,
        );
        const kube = JSON.parse(
          (await runCli(["token", "--id-token", "--format", "kubectl"], env))
            .stdout,
        );
        assertEquals(kube.status.token, jwt);
      },
    );

    await t.step(
      "token --id-token refreshes first when the ID token is about to expire",
      async () => {
        const before = (await runCli(["token"], env)).stdout;
        // A minimum lifetime longer than the ID token's forces a refresh;
        // the provider's new ID token still expires within it: exit 4
        // saying so truthfully, rather than handing out a token that is
        // too short.
        const r = await runCli(
          ["token", "--id-token", "--min-ttl", "999999"],
          env,
        );
        assertEquals(r.code, 4);
        assertMatch(
          r.stderr,
          /issued a new ID token for profile "default", but it lives \d+ s in all, less than --min-ttl \(999999 s\)/,
        );
        const after = (await runCli(["token", "--id-token"], env)).stdout;
        assert(
          (await runCli(["token"], env)).stdout !== before,
          "a refresh happened (the access token was renewed)",
        );
        assertEquals(jwtPayload(after).sub, "alice");
      },
    );

    const current = async () => (await runCli(["token"], env)).stdout.trim();

    await t.step("header feeds curl -H @- without an argv", async () => {
      const seen: string[] = [];
      const api = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen: () => {} },
        (req) => {
          seen.push(req.headers.get("authorization") ?? "");
          return new Response("ok\n");
        },
      );
      try {
        const h = await runCli(["header"], env);
        assertEquals(h.stdout, `Authorization: Bearer ${await current()}\n`);
        const cmd = [Deno.execPath(), ...await cliArgs(), "header"]
          .map((w) => `'${w}'`).join(" ");
        const r = await run("sh", [
          "-c",
          `${cmd} | curl -sf -H @- http://127.0.0.1:${api.addr.port}/me`,
        ], env);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(r.stdout, "ok\n");
        assertEquals(seen, [`Bearer ${await current()}`]);
      } finally {
        await api.shutdown();
      }
    });

    await t.step(
      "exec puts the token in the variable and returns the exit code",
      async () => {
        const out = `${work}/seen`;
        const r = await runCli([
          "exec",
          "--env",
          "API_TOKEN",
          "--",
          "sh",
          "-c",
          `printf %s "$API_TOKEN" > '${out}'; printf %s "\${AUTHCTL_ACCESS_TOKEN:-unset}" >> '${out}'; exit 7`,
        ], env);
        assertEquals(r.code, 7, r.stderr);
        assertEquals(await Deno.readTextFile(out), `${await current()}unset`);
        // Without --, options after the program's name are the program's.
        const plain = await runCli([
          "exec",
          "sh",
          "-c",
          `test -n "$AUTHCTL_ACCESS_TOKEN"`,
        ], env);
        assertEquals(plain.code, 0, plain.stderr);
        // The program gets exactly the arguments given: the token is in
        // its environment, never in its argv.
        const argv = await runCli([
          "exec",
          "--",
          "sh",
          "-c",
          `printf '%s\\n' "$0" "$@"; cat /proc/$$/cmdline`,
          "zero",
          "one",
        ], env);
        assertEquals(argv.code, 0, argv.stderr);
        assertEquals(argv.stdout.slice(0, 9), "zero\none\n");
        const cmdline = argv.stdout.slice(9).split("\0").slice(0, -1);
        assertMatch(cmdline[0], /(^|\/)sh$/);
        assertEquals(cmdline.length, 5, cmdline.join(" "));
        assertEquals(cmdline.slice(3), ["zero", "one"]);
        assertEquals(argv.stdout.includes(await current()), false);
      },
    );

    await t.step(
      "exec passes SIGTERM on and exits as the program did",
      async () => {
        const ready = `${work}/ready`;
        const running = await spawnCli([
          "exec",
          "--",
          "sh",
          "-c",
          `trap 'exit 42' TERM; touch '${ready}'; while :; do sleep 0.05; done`,
        ], env);
        const deadline = Date.now() + 10_000;
        while (
          !await Deno.stat(ready).then(() => true, () => false) &&
          Date.now() < deadline
        ) await new Promise((r) => setTimeout(r, 25));
        running.child.kill("SIGTERM");
        const r = await running.finish();
        assertEquals(r.code, 42, r.stderr);
      },
    );

    await t.step(
      "exec: a missing program is 127, no login is 4 and nothing runs",
      async () => {
        const missing = await runCli(
          ["exec", "--", "no-such-program-x"],
          env,
        );
        assertEquals(missing.code, 127);
        assertMatch(
          missing.stderr,
          /Command "no-such-program-x" was not found/,
        );
        const other = await Deno.makeTempDir();
        const marker = `${work}/ran`;
        const r = await runCli(
          ["exec", "--", "touch", marker],
          cliEnv(other, {
            AUTHCTL_ISSUER: provider.issuer,
            AUTHCTL_CLIENT_ID: provider.clientId,
          }),
        );
        assertEquals(r.code, 4);
        assert(!await Deno.stat(marker).then(() => true, () => false));
      },
    );

    await t.step("git-credential speaks git's protocol", async () => {
      const hostEnv = { ...env, AUTHCTL_GIT_HOSTS: "git.example.com" };
      const get = await runCli(
        ["git-credential", "get"],
        hostEnv,
        "protocol=https\nhost=git.example.com\npath=acme/app.git\n\n",
      );
      assertEquals(get.code, 0, get.stderr);
      const lines = get.stdout.trim().split("\n");
      assertEquals(lines[0], "username=x-access-token");
      assertEquals(lines[1], `password=${await current()}`);
      assertMatch(lines[2], /^password_expiry_utc=\d{10}$/);
      assert(Number(lines[2].split("=")[1]) * 1000 > Date.now());
      // Another host, plain http to a remote host, and `store`: nothing.
      for (
        const input of [
          "protocol=https\nhost=evil.example.com\n\n",
          "protocol=http\nhost=git.example.com\n\n",
        ]
      ) {
        const r = await runCli(["git-credential", "get"], hostEnv, input);
        assertEquals([r.code, r.stdout], [0, ""], input);
      }
      const store = await runCli(
        ["git-credential", "store"],
        hostEnv,
        "protocol=https\nhost=git.example.com\nusername=u\npassword=p\n\n",
      );
      assertEquals([store.code, store.stdout], [0, ""]);
      const none = await runCli(
        ["git-credential", "get"],
        env,
        "protocol=https\nhost=git.example.com\n\n",
      );
      assertEquals(none.stdout, "");
      assertMatch(none.stderr, /no git hosts are configured/);
    });

    const gitEnv = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: work,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_TERMINAL_PROMPT: "0",
      ...env,
    };
    const helper = `!${
      [Deno.execPath(), ...await cliArgs(), "git-credential", "--host"]
        .join(" ")
    }`;
    const clone = (dir: string, host: string) =>
      run(
        "git",
        [
          "-c",
          "credential.helper=",
          "-c",
          `credential.helper=${helper} ${host}`,
          "clone",
          "-q",
          git.url,
          dir,
        ],
        gitEnv,
        work,
      );

    await t.step(
      "a real git clones with the token as its password",
      async () => {
        const denied = await run(
          "git",
          [
            "-c",
            "credential.helper=",
            "clone",
            "-q",
            git.url,
            `${work}/denied`,
          ],
          gitEnv,
          work,
        );
        assert(denied.code !== 0, "the server requires a token");
        const r = await clone(`${work}/one`, git.host);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(
          await Deno.readTextFile(`${work}/one/README`),
          "hello from the git server\n",
        );
        assertEquals(git.passwords.at(-1), await current());
        const count = git.passwords.length;
        const other = await clone(`${work}/other`, "127.0.0.1:1");
        assert(other.code !== 0);
        assertEquals(
          git.passwords.length,
          count,
          "no token for another host",
        );
      },
    );

    await t.step(
      "a refused token is erased, and the next get refreshes",
      async () => {
        const old = await current();
        git.refuseNext(1);
        const refused = await clone(`${work}/two`, git.host);
        assert(refused.code !== 0, "the server refused the token once");
        assertEquals(git.passwords.at(-1), old);
        const status = JSON.parse(
          (await runCli(["status", "--json"], env)).stdout,
        );
        assertEquals(
          status.accessTokenValid,
          false,
          "git's erase retired it",
        );
        assertEquals(status.canRefresh, true);
        const r = await clone(`${work}/three`, git.host);
        assertEquals(r.code, 0, r.stderr);
        const fresh = git.passwords.at(-1)!;
        assert(fresh !== old, "git got a refreshed token");
        assertEquals(fresh, await current());
        assertNotMatch(r.stderr, /fatal/);
      },
    );
  },
});
