/**
 * `deno task bench` runs and reports every figure.
 */

import { assertEquals, assertMatch } from "../support/assert.ts";

Deno.test("e2e: deno task bench reports all its figures", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "bench"],
    cwd: new URL("../../", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assertMatch(text, /deno run empty\.ts +median [\d.]+ ms {2}x1\.00 .*20 runs/);
  for (
    const series of [
      "token (bundle)",
      "token (source)",
      "header (bundle)",
      "status (bundle)",
      "gh auth token",
    ]
  ) {
    assertMatch(
      text,
      new RegExp(
        `${
          series.replace(/[()]/g, "\\$&")
        } +median [\\d.]+ ms {2}x[\\d.]+ .*20 runs`,
      ),
    );
  }
  assertMatch(text, /peak memory, token \(bundle\) +[\d.]+ MiB/);
  assertMatch(text, /peak memory, token \(source\) +[\d.]+ MiB/);
  assertMatch(text, /token --force-refresh +median [\d.]+ ms/);
  assertMatch(
    text,
    /20\/20 succeeded, 1 distinct token\(s\), 1 refresh\(es\) at the provider, 0 grant\(s\) revoked/,
  );
});
