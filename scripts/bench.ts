/**
 * `deno task bench [RUNS]`: runs the CLI as a user would (`deno run` from
 * source with the task's permission flags, a fresh process each time) and
 * reports, in one run:
 * - `token` with a valid token on disk, beside `deno run` of an empty script;
 * - `token` when a refresh is due (against the demo provider);
 * - 20 `token` processes started at once after the access token expired:
 *   wall time, and how many refreshes the provider saw.
 *
 * Needs Chromium for the one login (as `deno task demo` does).
 *
 * @module
 */

import { FileStore } from "../src/store/file_store.ts";
import { cliArgs } from "./cli_args.ts";
import { startDemoProvider } from "./demo_provider.ts";

const runs = Math.max(20, Number(Deno.args[0] ?? 20));
const dir = await Deno.makeTempDir({ prefix: "authctl-bench-" });
const args = await cliArgs();
const baseEnv = {
  PATH: Deno.env.get("PATH") ?? "",
  HOME: Deno.env.get("HOME") ?? dir,
  ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
  AUTHCTL_CONFIG_DIR: dir,
  AUTHCTL_STORAGE: "file",
};
console.warn = () => {};
console.info = () => {};
const provider = await startDemoProvider();
try {
  // 1. The hot path, beside an empty deno run.
  const issuer = "https://login.example.com";
  await new FileStore({ configDir: dir }).set("bench", {
    version: 1,
    issuer,
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
  const empty = `${dir}/empty.ts`;
  await Deno.writeTextFile(empty, "");
  const benchEnv = { ...baseEnv, AUTHCTL_PROFILE: "bench" };
  const valid = await measure([...args, "token"], benchEnv, runs);
  const baseline = await measure(["run", empty], benchEnv, runs);

  // 2. A refresh on every call: --min-ttl beyond the token's lifetime.
  const env = {
    ...baseEnv,
    AUTHCTL_ISSUER: provider.issuer,
    AUTHCTL_CLIENT_ID: provider.clientId,
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
  const refreshing = await measure(
    [...args, "token", "--min-ttl", "86400"],
    env,
    10,
  );

  // 3. 20 processes at once after expiry.
  const store = new FileStore({ configDir: dir });
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
    `${name.padEnd(36)} median ${median(ms).toFixed(1)} ms  (min ${
      Math.min(...ms).toFixed(1)
    }, max ${Math.max(...ms).toFixed(1)}, ${ms.length} runs)`;
  console.log(row("token, valid token on disk", valid));
  console.log(row("deno run empty.ts", baseline));
  console.log(row("token, refresh due (each call)", refreshing));
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

async function stats() {
  return await (await fetch(`${provider.issuer}/__test/stats`)).json();
}

async function measure(
  command: string[],
  env: Record<string, string>,
  count: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count + 2; i++) {
    const start = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: command,
      env,
      clearEnv: true,
      stdin: "null",
    }).output();
    const elapsed = performance.now() - start;
    if (!out.success) {
      throw new Error(
        `deno ${command.join(" ")} failed: ${
          new TextDecoder().decode(out.stderr)
        }`,
      );
    }
    if (i >= 2) times.push(elapsed); // two warm-up runs
  }
  return times;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
