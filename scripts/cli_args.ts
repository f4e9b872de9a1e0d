/**
 * The exact `deno run` arguments of the `authctl` task in deno.json, so the
 * demo and the tests run the CLI with the permission flags the compiled
 * binary gets.
 *
 * @module
 */

const root = new URL("../", import.meta.url);

/** `["run", "--allow-…", …, "/abs/path/main.ts"]`. */
export async function cliArgs(): Promise<string[]> {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  );
  const words: string[] = config.tasks.authctl.split(/\s+/);
  return words.slice(1).map((w) =>
    w === "main.ts" ? new URL("main.ts", root).pathname : w
  );
}

/**
 * The permission flags of the `authctl` task (`--allow-net`, …): what the
 * compiled binary and the bundle's smoke test are given, and nothing more.
 */
export async function permissionFlags(): Promise<string[]> {
  return (await cliArgs()).filter((w) => w.startsWith("--allow-"));
}
