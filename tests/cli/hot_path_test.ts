/**
 * What `authctl token` loads when a fresh token is stored: recorded from the
 * real CLI (Deno's module loader, `--log-level=debug`), not inferred. No
 * `node:` built-in, no CommonJS package, no protocol library, no keychain
 * addon for a profile kept in a file.
 */

import { assert, assertEquals } from "../support/assert.ts";
import { cliArgs, cliEnv } from "../support/cli.ts";
import { FileStore } from "../../src/store/file_store.ts";

/** Every module a Deno process loaded, from its debug log. */
async function loadedModules(
  args: string[],
  env: Record<string, string>,
): Promise<
  {
    modules: Set<string>;
    evaluated: Set<string>;
    code: number;
    stdout: string;
  }
> {
  const [run, ...rest] = args;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [run, "--log-level=debug", ...rest],
    env,
    clearEnv: true,
    stdin: "null",
  }).output();
  const log = new TextDecoder().decode(out.stderr);
  const modules = new Set<string>();
  // Evaluated ("ES module: …"); the rest are files Deno's loader only read
  // while walking the graph (every statically named dynamic import).
  const evaluated = new Set<string>();
  for (const m of log.matchAll(/ES module: (\S+?),/g)) {
    modules.add(m[1]);
    evaluated.add(m[1]);
  }
  for (const m of log.matchAll(/fetch_no_follow - specifier: (\S+)/g)) {
    modules.add(m[1]);
  }
  return {
    modules,
    evaluated,
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
  };
}

/** The update notice's and upgrade's modules: never loaded by `token`. */
const UPDATE_MODULES = [
  "/src/cli/update_notice.ts",
  "/src/app/update_notice.ts",
  "/src/app/releases.ts",
  "/src/platform/self.ts",
  "/src/platform/state_file.ts",
];

/** What must not be on the hot path, and which loaded module shows it. */
function offenders(modules: Set<string>): string[] {
  const bad: string[] = [];
  for (const m of modules) {
    if (m.startsWith("node:") || m.startsWith("ext:deno_node/")) {
      bad.push(`a node: built-in (${m})`);
    }
    for (const name of ["oauth4webapi", "jose", "@napi-rs/keyring", "uqr"]) {
      if (m.includes(`/registry.npmjs.org/${name}/`)) {
        bad.push(`${name} (${m})`);
      }
    }
  }
  return [...new Set(bad.map((b) => b.replace(/ \(.*/, "")))].sort();
}

/** npm packages among the modules, each with its package.json `type`. */
async function npmPackages(modules: Set<string>) {
  const packages = new Map<string, string | undefined>();
  for (const m of modules) {
    const hit =
      /^(file:\/\/.*\/registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\/[^/]+)\//
        .exec(m);
    if (!hit || packages.has(hit[2])) continue;
    const manifest = JSON.parse(
      await Deno.readTextFile(new URL(`${hit[1]}/package.json`)),
    );
    packages.set(hit[2], manifest.type);
  }
  return packages;
}

Deno.test({
  name:
    "hot path: token with a fresh token loads no node:, no CommonJS, no protocol library, no keychain",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const configDir = await Deno.makeTempDir();
    try {
      const env = cliEnv(configDir, { AUTHCTL_STORAGE: "file" });
      await new FileStore({ configDir }).set("default", {
        version: 1,
        issuer: "https://login.example.com",
        clientId: "cli",
        scopes: [],
        audience: "",
        grantedScope: "openid",
        tokenType: "Bearer",
        accessToken: "a-fresh-access-token",
        expiresAt: Date.now() + 3600_000,
        obtainedAt: Date.now(),
        flow: "loopback",
      });
      const token = await loadedModules([...await cliArgs(), "token"], env);
      assertEquals(token.code, 0);
      assertEquals(token.stdout, "a-fresh-access-token\n");
      // The record is real: it shows the command's own modules.
      assert(
        [...token.modules].some((m) => m.endsWith("/src/cli/token.ts")),
        "the loader's record lists the modules it loads",
      );
      assertEquals(offenders(token.modules), []);
      // Nor the update notice or upgrade: no release check, no state file.
      const updates = (modules: Set<string>) =>
        UPDATE_MODULES.filter((name) =>
          [...modules].some((m) => m.endsWith(name))
        );
      assertEquals(updates(token.evaluated), []);
      // (The same record of `version`, which may show the notice, has them.)
      const version = await loadedModules(
        [...await cliArgs(), "version"],
        env,
      );
      assertEquals(version.code, 0);
      assertEquals(updates(version.evaluated), UPDATE_MODULES);
      const packages = await npmPackages(token.modules);
      assertEquals([...packages.keys()], ["@stricli/core"]);
      for (const [name, type] of packages) {
        assertEquals(type, "module", `${name} is an ES module package`);
      }

      // Negative control: the same record of a program that does load them.
      const script = `${configDir}/control.ts`;
      await Deno.writeTextFile(
        script,
        `import "node:path";\nimport "jose";\nimport "oauth4webapi";\n`,
      );
      const control = await loadedModules(
        [
          "run",
          "--allow-read",
          `--config=${new URL("../../deno.json", import.meta.url).pathname}`,
          script,
        ],
        env,
      );
      assertEquals(control.code, 0);
      assertEquals(offenders(control.modules), [
        "a node: built-in",
        "jose",
        "oauth4webapi",
      ]);
    } finally {
      await Deno.remove(configDir, { recursive: true });
    }
  },
});
