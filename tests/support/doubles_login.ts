/**
 * Logging in to the provider doubles as a person would, and a private
 * configuration directory per step: shared by the suites that use them.
 */

import { assertEquals } from "./assert.ts";
import { spawnCli } from "./cli.ts";
import type { ProviderDoubles } from "./provider_doubles.ts";

const USER_CODE = /enter the code\s+([A-Z]{4}-[A-Z]{4})/;

/** A device login approved at the double. */
export async function deviceLogin(
  d: ProviderDoubles,
  env: Record<string, string>,
) {
  const cli = await spawnCli(
    ["login", "--flow", "device", "--force", "--no-qr"],
    env,
  );
  const [, code] = await cli.waitFor(USER_CODE);
  const ok = await fetch(`${d.url}/__approve?user_code=${code}`, {
    method: "POST",
  });
  await ok.body?.cancel();
  assertEquals(ok.status, 200);
  return await cli.finish();
}
