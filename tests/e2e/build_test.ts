/**
 * `deno task build` end to end: a branded build's bundle (the local stand-in
 * for the compiled binary) run from an empty directory with the binary's
 * permission flags shows its baked settings, logs in to the real provider
 * with no flags, keeps its credentials apart from authctl's, round-trips the
 * keychain, and is byte-for-byte reproducible.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
} from "../support/assert.ts";
import { approveLogin } from "../../scripts/headless_browser.ts";
import { permissionFlags } from "../../scripts/cli_args.ts";
import { smokeTest } from "../../scripts/smoke.ts";
import { AUTH_URL, baseEnv, spawnCommand } from "../support/cli.ts";
import { startPrivateKeyring } from "../support/keyring.ts";
import { startE2e } from "../support/e2e.ts";
import { runProgram } from "../support/run.ts";
import { sha256File } from "../support/release.ts";

const repo = new URL("../../", import.meta.url).pathname;

/** Runs `deno task build` with only `vars` as build settings. */
async function runBuild(
  vars: Record<string, string>,
  args: string[],
  extraEnv: Record<string, string> = {},
) {
  return await runProgram(
    Deno.execPath(),
    ["task", "--quiet", "build", ...args],
    {
      cwd: repo,
      env: { ...baseEnv(), NO_COLOR: "1", ...vars, ...extraEnv },
    },
  );
}

const sha256 = sha256File;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test({
  name: "e2e: a branded build (acmectl) from deno task build",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using e2e = await startE2e({ browser: true });
    const { provider, browser } = e2e;
    const keyring = await startPrivateKeyring();
    e2e.defer(() => keyring.stop());
    const [outA, outB, empty, config] = [
      "build-a",
      "build-b",
      "empty",
      "acmectl",
    ]
      .map((name) => `${e2e.dir}/${name}`);
    for (const dir of [outA, outB, empty, config]) {
      await Deno.mkdir(dir, { mode: 0o700 });
    }
    const portBase = 20_000 + Math.floor(Math.random() * 40_000);
    const ports = `${portBase}-${portBase + 9}`;
    const vars = {
      AUTHCTL_BUILD_NAME: "acmectl",
      AUTHCTL_BUILD_ISSUER: provider.issuer,
      AUTHCTL_BUILD_CLIENT_ID: provider.clientId,
      AUTHCTL_BUILD_SCOPES: "profile email",
      AUTHCTL_BUILD_PORTS: ports,
      AUTHCTL_BUILD_REPO: "acme/acmectl",
      AUTHCTL_BUILD_VERSION: "1.4.0",
      AUTHCTL_BUILD_COMMIT: "0123456789abcdef0123456789abcdef01234567",
    };
    const bundleFile = "acmectl-1.4.0.bundle.js";
    const permissions = await permissionFlags();
    let bundle = "";
    // The bundle, copied alone into an empty directory and run from there
    // with the compiled binary's permission flags.
    const acmectl = async (
      args: string[],
      env: Record<string, string> = {},
      stdin?: string,
    ) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", ...permissions, bundle, ...args],
        cwd: empty,
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: Deno.env.get("HOME") ?? empty,
          ...(Deno.env.get("DENO_DIR")
            ? { DENO_DIR: Deno.env.get("DENO_DIR")! }
            : {}),
          ACMECTL_CONFIG_DIR: config,
          ACMECTL_STORAGE: "file",
          BROWSER: "true",
          NO_COLOR: "1",
          ...env,
        },
        clearEnv: true,
        stdin: stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      if (stdin !== undefined) {
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(stdin));
        await writer.close();
      }
      return await child.output();
    };
    await t.step(
      "the build bundles, checks the bundle and says compile could not run",
      async () => {
        // A dead proxy stands for a machine that cannot reach
        // dl.deno.land (ours cannot anyway; this makes it certain).
        const r = await runBuild(vars, ["--out-dir", outA], {
          HTTPS_PROXY: "http://127.0.0.1:9",
        });
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /building acmectl 1\.4\.0 \(0123456789ab\)/);
        assertMatch(
          r.stderr,
          /NOT COMPILED — deno compile did not run: it needs its base runtime from https:\/\/dl\.deno\.land\/\S+denort-\S+\.zip, which this machine cannot reach\. Everything before it was built and checked \(acmectl-1\.4\.0\.bundle\.js\)/,
        );
        assertEquals(
          r.stdout.trim().split("\n").map((l) => l.split("/").pop()),
          [bundleFile, "SHA256SUMS"],
        );
        const sums = await Deno.readTextFile(`${outA}/SHA256SUMS`);
        assertEquals(
          sums,
          `${await sha256(`${outA}/${bundleFile}`)}  ${bundleFile}\n`,
        );
        const check = await new Deno.Command("sha256sum", {
          args: ["-c", "SHA256SUMS"],
          cwd: outA,
          stdout: "piped",
        }).output();
        assertEquals(check.code, 0);
        assertEquals(
          [...Deno.readDirSync(outA)].map((e) => e.name).sort(),
          ["SHA256SUMS", bundleFile],
          "the staging copy is removed",
        );
        bundle = `${empty}/${bundleFile}`;
        await Deno.copyFile(`${outA}/${bundleFile}`, bundle);
      },
    );

    await t.step("the source tree is left as it was", async () => {
      const status = await new Deno.Command("git", {
        args: ["status", "--porcelain", "src/config/build_info.ts"],
        cwd: repo,
        stdout: "piped",
      }).output();
      assertEquals(new TextDecoder().decode(status.stdout), "");
    });

    await t.step(
      "version --json from an empty directory shows the baked values",
      async () => {
        const out = await acmectl(["version", "--json"]);
        assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
        const shown = JSON.parse(new TextDecoder().decode(out.stdout));
        assertEquals(shown.name, "acmectl");
        assertEquals(shown.version, "1.4.0");
        assertEquals(shown.commit, vars.AUTHCTL_BUILD_COMMIT);
        assertEquals(shown.target, Deno.build.target);
        assertEquals(shown.baked, {
          issuer: provider.issuer,
          clientId: provider.clientId,
          scopes: ["profile", "email"],
          audience: null,
          ports,
          provider: {},
          repo: "acme/acmectl",
          updateNotice: true,
        });
        const help = await acmectl(["login", "--help"]);
        const text = new TextDecoder().decode(help.stdout);
        assertMatch(text, /^USAGE\n {2}acmectl login/);
        assertMatch(text, /env ACMECTL_ISSUER/);
        assertNotMatch(text, /AUTHCTL_/);
      },
    );

    await t.step(
      "branded everywhere: exec hands out $ACMECTL_ACCESS_TOKEN; no text names AUTHCTL_*",
      async () => {
        const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
        const env = { ACMECTL_TOKEN: "branded-token-value" };
        const exec = await acmectl([
          "exec",
          "--",
          "sh",
          "-c",
          'printf "%s|%s" "$ACMECTL_ACCESS_TOKEN" "${AUTHCTL_ACCESS_TOKEN-unset}"',
        ], env);
        assertEquals(text(exec.stderr), "");
        assertEquals(text(exec.stdout), "branded-token-value|unset");
        // Every help text, and the messages that name a variable.
        const outputs: string[] = [];
        for (
          const args of [
            ["--help"],
            ...[
              "login",
              "status",
              "token",
              "header",
              "exec",
              "git-credential",
              "verify",
              "logout",
              "version",
              "profiles",
            ].map((c) => [c, "--help"]),
            ["token"],
            ["status"],
            ["login", "--flow", "paste", "--ca-file", "/nonexistent.pem"],
          ]
        ) {
          const out = await acmectl(args);
          outputs.push(
            `${args.join(" ")}:\n${text(out.stdout)}${text(out.stderr)}`,
          );
        }
        const git = await acmectl(
          ["git-credential", "get"],
          {},
          "protocol=https\nhost=git.acme.example\n\n",
        );
        assertMatch(text(git.stderr), /ACMECTL_GIT_HOSTS/);
        outputs.push(text(git.stderr));
        const status = await acmectl(["status"], env);
        assertMatch(text(status.stdout), /ACMECTL_TOKEN/);
        outputs.push(text(status.stdout), text(status.stderr));
        const all = outputs.join("\n");
        assertMatch(all, /\$ACMECTL_ACCESS_TOKEN/);
        assertMatch(all, /ACMECTL_CA_FILE/);
        assertNotMatch(all, /AUTHCTL_/);
      },
    );

    await t.step(
      "login with no flags uses the baked issuer, client, scopes and ports; AUTHCTL_* is not read",
      async () => {
        const cli = spawnCommand(
          [Deno.execPath(), "run", ...permissions, bundle, "login"],
          {
            PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
            HOME: Deno.env.get("HOME") ?? empty,
            ACMECTL_CONFIG_DIR: config,
            ACMECTL_STORAGE: "keychain",
            DBUS_SESSION_BUS_ADDRESS: keyring.env.DBUS_SESSION_BUS_ADDRESS,
            // Another authctl's settings must not leak into acmectl.
            AUTHCTL_ISSUER: "https://wrong.example.com",
            AUTHCTL_CLIENT_ID: "wrong",
            BROWSER: "true",
            NO_COLOR: "1",
          },
          { cwd: empty },
        );
        const [, url] = await cli.waitFor(AUTH_URL);
        const auth = new URL(url);
        assertEquals(auth.origin, new URL(provider.issuer).origin);
        assertEquals(auth.searchParams.get("client_id"), provider.clientId);
        assertEquals(
          auth.searchParams.get("scope"),
          "openid offline_access profile email",
        );
        const port = Number(
          new URL(auth.searchParams.get("redirect_uri")!).port,
        );
        assert(
          port >= portBase && port <= portBase + 9,
          `callback port ${port} is outside the baked ${ports}`,
        );
        const page = await approveLogin(await browser.newPage(), url, {
          user: "alice",
        });
        await page.close();
        const r = await cli.finish();
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /Logged in as alice/);

        const token = await acmectl(["token"], {
          ACMECTL_STORAGE: "keychain",
          DBUS_SESSION_BUS_ADDRESS: keyring.env.DBUS_SESSION_BUS_ADDRESS,
        });
        assertEquals(token.code, 0, new TextDecoder().decode(token.stderr));
        assertMatch(new TextDecoder().decode(token.stdout), /^\S{16,}\n$/);
        // Kept under the keychain service "acmectl", never "authctl".
        const mine = await keyring.secretTool(
          "search",
          "--all",
          "service",
          "acmectl",
        );
        assertMatch(mine.stdout, /label = keyring:default@acmectl\n/);
        const theirs = await keyring.secretTool(
          "search",
          "--all",
          "service",
          "authctl",
        );
        assertEquals(theirs.stdout.trim(), "");
      },
    );

    await t.step(
      "the smoke test passes, with a keychain round trip under the acmectl service",
      async () => {
        const expected = {
          name: "acmectl",
          version: "1.4.0",
          commit: vars.AUTHCTL_BUILD_COMMIT,
          issuer: provider.issuer,
          clientId: provider.clientId,
          scopes: ["profile", "email"],
          audience: "",
          ports,
          provider: {},
          repo: "acme/acmectl",
        };
        const seen: string[] = [];
        await smokeTest(
          [Deno.execPath(), "run", ...permissions, bundle],
          expected,
          {
            keychain: true,
            target: Deno.build.target,
            env: {
              DBUS_SESSION_BUS_ADDRESS: keyring.env.DBUS_SESSION_BUS_ADDRESS,
            },
            log: (line) => seen.push(line),
          },
        );
        assertEquals(seen.length, 2);
        assertMatch(seen[1], /keychain round trip/);
        // A wrong expectation must fail: the smoke test can fail.
        let failed = false;
        await smokeTest(
          [Deno.execPath(), "run", ...permissions, bundle],
          { ...expected, clientId: "someone-else" },
        ).catch(() => failed = true);
        assert(failed, "the smoke test noticed a wrong client ID");
      },
    );

    await t.step(
      "two builds of one commit with the same settings give the same bytes",
      async () => {
        const r = await runBuild(vars, ["--out-dir", outB, "--no-compile"]);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(
          await sha256(`${outB}/${bundleFile}`),
          await sha256(`${outA}/${bundleFile}`),
        );
        assertEquals(
          await Deno.readTextFile(`${outB}/SHA256SUMS`),
          await Deno.readTextFile(`${outA}/SHA256SUMS`),
        );
        const other = await runBuild(
          { ...vars, AUTHCTL_BUILD_CLIENT_ID: "another-client" },
          ["--out-dir", outB, "--no-compile"],
        );
        assertEquals(other.code, 0, other.stderr);
        assert(
          await sha256(`${outB}/${bundleFile}`) !==
            await sha256(`${outA}/${bundleFile}`),
          "a different client ID gives a different bundle",
        );
      },
    );

    await t.step(
      "a client secret is refused before anything is built",
      async () => {
        const out = await Deno.makeTempDir();
        const r = await runBuild(
          { ...vars, AUTHCTL_BUILD_CLIENT_SECRET: "s3cr3t-value" },
          ["--out-dir", out, "--no-compile"],
        );
        assertEquals(r.code, 2);
        assertMatch(
          r.stderr,
          /AUTHCTL_BUILD_CLIENT_SECRET is set: a client secret is never baked into a binary/,
        );
        assertNotMatch(r.stderr, /s3cr3t-value/);
        assertEquals([...Deno.readDirSync(out)], []);
        assert(!await exists(`${out}/SHA256SUMS`));
        await Deno.remove(out, { recursive: true });
      },
    );
  },
});
