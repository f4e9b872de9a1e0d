/**
 * `deno task bench [RUNS]`: runs the CLI as a user would (a fresh process
 * each time, with the compiled binary's permission flags) and reports, in
 * one run:
 * - `token`, `header` and `status` with a valid token on disk, from the
 *   bundle that `deno task build` makes (the shape the compiled binary runs,
 *   run from an empty directory) and from source, each as a ratio to
 *   `deno run` of an empty script, all interleaved so that a busy machine
 *   slows every series alike (medians);
 * - `gh auth token` (Go) beside them, when `gh` is installed (with a dummy
 *   hosts file);
 * - the peak memory (maximum resident set) of `token`;
 * - `token --force-refresh` (a refresh at every call, against the demo
 *   provider);
 * - 20 `token` processes started at once after the access token expired:
 *   wall time, and how many refreshes the provider saw.
 *
 * Needs Chromium for the one login (as `deno task demo` does), and
 * `/usr/bin/time` for the peak memory.
 *
 * @module
 */

import { FileStore } from "../src/store/file_store.ts";
import { cliArgs, permissionFlags } from "./cli_args.ts";
import { startDemoProvider } from "./demo_provider.ts";

const runs = Math.max(20, Number(Deno.args[0] ?? 20));
const repo = new URL("../", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "authctl-bench-" });
const args = await cliArgs();
const permissions = await permissionFlags();
const passed = ["PATH", "HOME", "DENO_DIR", "NODE_EXTRA_CA_CERTS"];
const baseEnv: Record<string, string> = {
  HOME: dir,
  AUTHCTL_CONFIG_DIR: `${dir}/config`,
  AUTHCTL_STORAGE: "file",
};
for (const key of passed) {
  const value = Deno.env.get(key);
  if (value !== undefined) baseEnv[key] = value;
}
console.warn = () => {};
console.info = () => {};
const provider = await startDemoProvider();
try {
  // The bundle, alone in an empty directory.
  const bundle = await buildBundle(`${dir}/dist`, `${dir}/empty`);
  const empty = `${dir}/empty/empty.ts`;
  await Deno.writeTextFile(empty, "");
  await new FileStore({ configDir: `${dir}/config` }).set("bench", {
    version: 1,
    issuer: "https://login.example.com",
    clientId: "bench",
    scopes: ["openid", "offline_access"],
    audience: "",
    grantedScope: "openid offline_access",
    tokenType: "Bearer",
    accessToken: "bench-access-token",
    expiresAt: Date.now() + 3600_000,
    obtainedAt: Date.now(),
    flow: "loopback",
  });
  const benchEnv = { ...baseEnv, AUTHCTL_PROFILE: "bench" };
  const fromBundle = ["run", ...permissions, bundle];
  const series: Series[] = [
    { name: "deno run empty.ts", command: [Deno.execPath(), "run", empty] },
    {
      name: "token (bundle)",
      command: [Deno.execPath(), ...fromBundle, "token"],
    },
    { name: "token (source)", command: [Deno.execPath(), ...args, "token"] },
    {
      name: "header (bundle)",
      command: [Deno.execPath(), ...fromBundle, "header"],
    },
    {
      name: "status (bundle)",
      command: [Deno.execPath(), ...fromBundle, "status"],
    },
  ];
  const gh = await ghCommand(dir);
  if (gh) series.push(gh);
  const times = await interleaved(series, benchEnv, `${dir}/empty`, runs);
  const base = median(times[0]);

  // Peak memory.
  const memory = [];
  for (const s of series.slice(0, 3)) {
    memory.push([s.name, await peakKb(s.command, benchEnv, `${dir}/empty`)]);
  }

  // A refresh at every call.
  const env = {
    ...baseEnv,
    AUTHCTL_ISSUER: provider.issuer,
    AUTHCTL_CLIENT_ID: provider.clientId,
    // oidc-provider gives a refresh token only after an explicit consent.
    AUTHCTL_PROMPT: "consent",
    BROWSER: `${Deno.execPath()} run --allow-all ${
      new URL("./headless_browser.ts", import.meta.url).pathname
    }`,
  };
  const login = await new Deno.Command(Deno.execPath(), {
    args: [...args, "login", "--flow", "loopback"],
    env,
    clearEnv: true,
    stdin: "null",
  }).output();
  if (!login.success) throw new Error(new TextDecoder().decode(login.stderr));
  const [refreshing] = await interleaved(
    [{
      name: "token --force-refresh",
      command: [Deno.execPath(), ...args, "token", "--force-refresh"],
    }],
    env,
    repo,
    10,
  );

  // 20 processes at once after expiry.
  const store = new FileStore({ configDir: `${dir}/config` });
  const credential = (await store.get("default"))!;
  await store.set("default", { ...credential, expiresAt: Date.now() - 1000 });
  const before = await stats();
  const started = performance.now();
  const outs = await Promise.all(
    Array.from({ length: 20 }, () =>
      new Deno.Command(Deno.execPath(), {
        args: [...args, "token"],
        env,
        clearEnv: true,
        stdin: "null",
      }).output()),
  );
  const wall = performance.now() - started;
  const after = await stats();
  const ok = outs.filter((o) => o.success).length;
  const distinct = new Set(outs.map((o) =>
    new TextDecoder().decode(o.stdout)
  )).size;

  const row = (name: string, ms: number[]) =>
    `${name.padEnd(36)} median ${median(ms).toFixed(1)} ms  x${
      (median(ms) / base).toFixed(2)
    }  (min ${Math.min(...ms).toFixed(1)}, max ${
      Math.max(...ms).toFixed(1)
    }, ${ms.length} runs)`;
  console.log(
    `Start-up, interleaved, valid token on disk; x = ratio to an empty deno run:`,
  );
  for (const [i, s] of series.entries()) console.log(row(s.name, times[i]));
  if (!gh) {
    console.log("gh auth token                        (gh not installed)");
  }
  for (const [name, kb] of memory) {
    console.log(
      `peak memory, ${name}`.padEnd(36) +
        ` ${(Number(kb) / 1024).toFixed(1)} MiB`,
    );
  }
  console.log(
    `token --force-refresh                median ${
      median(refreshing).toFixed(1)
    } ms  (${refreshing.length} runs, one refresh each)`,
  );
  console.log(
    `20 x token at once after expiry       wall ${
      wall.toFixed(0)
    } ms, ${ok}/20 succeeded, ${distinct} distinct token(s), ${
      after.refreshSuccess - before.refreshSuccess
    } refresh(es) at the provider, ${
      after.grantsRevoked - before.grantsRevoked
    } grant(s) revoked`,
  );
} finally {
  await provider.close();
  await Deno.remove(dir, { recursive: true });
}

interface Series {
  name: string;
  command: string[];
}

async function stats() {
  return await (await fetch(`${provider.issuer}/__test/stats`)).json();
}

/** `deno task build` into `out`; the bundle copied alone into `emptyDir`. */
async function buildBundle(out: string, emptyDir: string): Promise<string> {
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "build", "--out-dir", out],
    cwd: repo,
    env: { ...baseEnv, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
  }).output();
  if (!built.success) {
    throw new Error(
      `deno task build failed: ${new TextDecoder().decode(built.stderr)}`,
    );
  }
  await Deno.mkdir(emptyDir, { recursive: true });
  for await (const entry of Deno.readDir(out)) {
    if (entry.name.endsWith(".bundle.js")) {
      await Deno.copyFile(`${out}/${entry.name}`, `${emptyDir}/authctl.js`);
      return `${emptyDir}/authctl.js`;
    }
  }
  throw new Error(`no bundle in ${out}`);
}

/** `gh auth token` with a dummy hosts file, when gh is installed. */
async function ghCommand(root: string): Promise<Series | undefined> {
  const gh = await new Deno.Command("gh", { args: ["--version"] }).output()
    .catch(() => undefined);
  if (!gh?.success) return undefined;
  const config = `${root}/gh`;
  await Deno.mkdir(config, { recursive: true });
  await Deno.writeTextFile(
    `${config}/hosts.yml`,
    "github.com:\n    oauth_token: gho_benchdummytoken\n    user: bench\n    git_protocol: https\n",
  );
  return {
    name: "gh auth token",
    command: ["env", `GH_CONFIG_DIR=${config}`, "gh", "auth", "token"],
  };
}

/**
 * Runs each series `count` times (after two warm-up rounds), one of each in
 * turn, and returns the wall times in ms per series.
 */
async function interleaved(
  list: Series[],
  env: Record<string, string>,
  cwd: string,
  count: number,
): Promise<number[][]> {
  const times = list.map(() => [] as number[]);
  for (let round = 0; round < count + 2; round++) {
    for (const [i, s] of list.entries()) {
      const start = performance.now();
      const out = await new Deno.Command(s.command[0], {
        args: s.command.slice(1),
        env,
        clearEnv: true,
        cwd,
        stdin: "null",
      }).output();
      const elapsed = performance.now() - start;
      if (!out.success) {
        throw new Error(
          `${s.command.join(" ")} failed: ${
            new TextDecoder().decode(out.stderr)
          }`,
        );
      }
      if (round >= 2) times[i].push(elapsed);
    }
  }
  return times;
}

/** The median over 5 runs of the maximum resident set size, in KiB. */
async function peakKb(
  command: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<number> {
  const values = [];
  for (let i = 0; i < 5; i++) {
    const out = await new Deno.Command("/usr/bin/time", {
      args: ["-f", "%M", ...command],
      env,
      clearEnv: true,
      cwd,
      stdin: "null",
      stdout: "null",
    }).output();
    const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
    values.push(Number(lines.at(-1)));
  }
  return median(values);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
