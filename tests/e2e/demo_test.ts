/**
 * The README's demo finishes on a machine without a graphical browser.
 */

import { assertEquals, assertMatch } from "../support/assert.ts";

Deno.test("e2e: `deno task demo` finishes without a display", async () => {
  const env: Record<string, string> = {};
  for (const key of ["PATH", "HOME", "DENO_DIR", "TMPDIR"]) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "demo"],
    cwd: new URL("../../", import.meta.url).pathname,
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, text);
  assertMatch(text, /Logged in as alice/);
  assertMatch(text, /Logged in: +yes as alice/);
  assertMatch(
    text,
    /userinfo endpoint accepts that token \(HTTP 200\): sub=alice/,
  );
  assertMatch(text, /Demo complete/);
});
