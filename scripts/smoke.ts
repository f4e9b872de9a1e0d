/**
 * The smoke test of a built authctl: the compiled binary on its own runner in
 * the release workflow, and the bundle here.
 *
 * 1. `version --json` shows the baked name, version, commit and settings.
 * 2. With `--keychain`: a round trip through the OS keychain. A throw-away
 *    token is stored with `login --token-stdin` (checked against a local
 *    server, so no real provider is involved), read back with `token`, shown
 *    by `status --json` as kept in the keychain, and removed by `logout`.
 *
 * Usage: `deno run --allow-all scripts/smoke.ts [--keychain] [--target T] --
 * COMMAND...`, with the build's `AUTHCTL_BUILD_*` variables set as they were
 * for the build.
 *
 * @module
 */

import { bakedSettings } from "../src/config/distribution.ts";
import { parseArgs } from "node:util";
import type { BuildInfo } from "../src/config/build_info.ts";
import { envPrefix } from "../src/config/brand.ts";
import { readBuildConfig } from "./build_config.ts";

/** What to check. */
export interface SmokeOptions {
  /** The target the binary was built for (checked against `version`). */
  target?: string;
  /** Also run the keychain round trip. */
  keychain?: boolean;
  /** Extra environment for the command (e.g. a private D-Bus session). */
  env?: Record<string, string>;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Runs the smoke test of `command` (argv) built with `expected`. */
export async function smokeTest(
  command: string[],
  expected: BuildInfo,
  options: SmokeOptions = {},
): Promise<void> {
  const log = options.log ?? (() => {});
  const prefix = envPrefix(expected.name);
  const workDir = await Deno.makeTempDir({ prefix: "authctl-smoke-" });
  const env = cleanEnv(prefix, {
    [`${prefix}CONFIG_DIR`]: `${workDir}/config`,
    NO_COLOR: "1",
    ...options.env,
  });
  const run = (args: string[], stdin?: string) =>
    runCommand(command, args, env, workDir, stdin);
  try {
    const version = await run(["version", "--json"]);
    expect(version.code === 0, "version --json failed", version);
    const shown = JSON.parse(version.stdout);
    const want = {
      name: expected.name,
      version: expected.version,
      commit: expected.commit || null,
      baked: bakedSettings(expected),
    };
    const got = {
      name: shown.name,
      version: shown.version,
      commit: shown.commit,
      baked: shown.baked,
    };
    expect(
      JSON.stringify(got) === JSON.stringify(want),
      `version --json shows ${JSON.stringify(got)}, expected ${
        JSON.stringify(want)
      }`,
      version,
    );
    if (options.target) {
      expect(
        shown.target === options.target,
        `version --json shows target "${shown.target}", expected "${options.target}"`,
        version,
      );
    }
    log(`version --json shows the baked settings of ${expected.name}`);

    if (options.keychain) await keychainRoundTrip(run, expected, env, log);
  } finally {
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
}

async function keychainRoundTrip(
  run: (args: string[], stdin?: string) => Promise<Outcome>,
  expected: BuildInfo,
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<void> {
  const prefix = envPrefix(expected.name);
  const token = "smoke-" +
    crypto.getRandomValues(new Uint8Array(16)).toHex();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) =>
      new URL(req.url).pathname === "/check" &&
        req.headers.get("authorization") === `Bearer ${token}`
        ? Response.json({ ok: true })
        : new Response("no", { status: 401 }),
  );
  const local = `http://127.0.0.1:${server.addr.port}`;
  // The check and any revocation go to the local server, never to the
  // provider baked into the binary.
  Object.assign(env, {
    [`${prefix}STORAGE`]: "keychain",
    [`${prefix}ISSUER`]: local,
    [`${prefix}CLIENT_ID`]: "smoke-test",
    [`${prefix}PROFILE`]: "smoke",
  });
  try {
    const login = await run(
      ["login", "--token-stdin", "--validate-url", `${local}/check`],
      token + "\n",
    );
    expect(login.code === 0, "login --token-stdin into the keychain", login);
    const status = await run(["status", "--json"]);
    expect(status.code === 0, "status --json after login", status);
    const backend = JSON.parse(status.stdout).storage?.backend;
    expect(
      backend === "keychain",
      `status --json shows storage "${backend}", expected "keychain"`,
      status,
    );
    const printed = await run(["token"]);
    expect(
      printed.code === 0 && printed.stdout.trim() === token,
      "token reads back what was stored",
      printed,
    );
    const logout = await run(["logout"]);
    expect(logout.code === 0, "logout", logout);
    const after = await run(["token"]);
    expect(after.code === 4, "token after logout exits 4", after);
    log("keychain round trip: stored, read back, removed");
  } finally {
    await server.shutdown();
  }
}

/** The outcome of one run of the command. */
interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function runCommand(
  command: string[],
  args: string[],
  env: Record<string, string>,
  cwd: string,
  stdin?: string,
): Promise<Outcome> {
  const child = new Deno.Command(command[0], {
    args: [...command.slice(1), ...args],
    env,
    clearEnv: true,
    cwd,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

/** This process's environment without any of the build's own variables. */
function cleanEnv(
  prefix: string,
  extra: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(Deno.env.toObject())) {
    if (!key.startsWith(prefix) && !key.startsWith("AUTHCTL_")) {
      env[key] = value;
    }
  }
  return { ...env, ...extra };
}

function expect(ok: boolean, what: string, outcome: Outcome): void {
  if (!ok) {
    throw new Error(
      `smoke test failed: ${what} (exit ${outcome.code})\n${outcome.stderr}`,
    );
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      keychain: { type: "boolean", default: false },
      target: { type: "string" },
    },
    allowPositionals: true,
  });
  if (!positionals.length) {
    console.error(
      "usage: smoke.ts [--keychain] [--target TRIPLE] -- COMMAND [ARGS...]",
    );
    Deno.exit(2);
  }
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  const expected = readBuildConfig(Deno.env.toObject(), {
    version: config.version,
    commit: Deno.env.get("GITHUB_SHA") ?? "",
  });
  try {
    await smokeTest(positionals, expected, {
      keychain: values.keychain,
      target: values.target,
      log: (line) => console.log(`smoke: ${line}`),
    });
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(1);
  }
  console.log("smoke: passed");
}
