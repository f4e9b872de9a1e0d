/**
 * A login through the real CLI, approved in headless Chromium as a person
 * would; it must succeed.
 */

import type { Browser } from "playwright-core";
import { approveLogin } from "../../scripts/headless_browser.ts";
import { assertEquals } from "./assert.ts";
import { AUTH_URL, type CliResult, spawnCli } from "./cli.ts";

/** Runs `login ARGS…`, approves in `browser`, and returns the CLI's result. */
export async function browserLogin(
  browser: Browser,
  args: string[],
  env: Record<string, string>,
): Promise<CliResult> {
  const cli = await spawnCli(["login", ...args], env);
  const [, url] = await cli.waitFor(AUTH_URL);
  const page = await approveLogin(await browser.newPage(), url);
  await page.close();
  const r = await cli.finish();
  assertEquals(r.code, 0, r.stderr);
  return r;
}
