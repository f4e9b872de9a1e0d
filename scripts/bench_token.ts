/**
 * `deno task bench:token [RUNS]`: the median wall time of `authctl token` with
 * a valid token on disk, next to `deno run` of an empty script, both run the
 * same way (`deno run` from source, with the task's permission flags).
 *
 * @module
 */

import { FileStore } from "../src/store/file_store.ts";
import { cliArgs } from "./cli_args.ts";

const runs = Number(Deno.args[0] ?? 20);
const dir = await Deno.makeTempDir({ prefix: "authctl-bench-" });
try {
  const issuer = "https://login.example.com";
  await new FileStore({ configDir: dir }).set("default", {
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
  const env = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? dir,
    AUTHCTL_CONFIG_DIR: dir,
    AUTHCTL_ISSUER: issuer,
    AUTHCTL_CLIENT_ID: "bench",
  };
  const args = await cliArgs();
  const token = await measure([...args, "token"], env, "bench-access-token\n");
  const baseline = await measure(["run", empty], env, "");
  const row = (name: string, ms: number[]) =>
    `${name.padEnd(28)} median ${median(ms).toFixed(1)} ms  (min ${
      Math.min(...ms).toFixed(1)
    }, max ${Math.max(...ms).toFixed(1)}, ${ms.length} runs)`;
  console.log(row("authctl token (valid token)", token));
  console.log(row("deno run empty.ts", baseline));
  console.log(
    `authctl token costs ${
      (median(token) - median(baseline)).toFixed(1)
    } ms over an empty deno run`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}

async function measure(
  args: string[],
  env: Record<string, string>,
  expected: string,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const start = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args,
      env,
      clearEnv: true,
      stdin: "null",
    }).output();
    const elapsed = performance.now() - start;
    const stdout = new TextDecoder().decode(out.stdout);
    if (!out.success || stdout !== expected) {
      throw new Error(
        `deno ${args.join(" ")} failed: ${
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
