/**
 * `authctl version`: the build's identity and baked settings.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import type { CliDeps } from "./context.ts";

/** Builds the `version` command. */
export function versionCommand(cli: CliDeps) {
  return new Command("version")
    .description("show the version, build and baked-in settings")
    .option("--json", "print as JSON")
    .action((flags) => {
      const b = cli.build;
      const target = Deno.build.target;
      if (flags.json) {
        cli.terminal.out(
          JSON.stringify(
            {
              name: b.name,
              version: b.version,
              commit: b.commit || null,
              target,
              deno: Deno.version.deno,
              baked: {
                issuer: b.issuer || null,
                clientId: b.clientId || null,
                scopes: b.scopes,
                audience: b.audience || null,
                ports: b.ports || null,
              },
            },
            null,
            2,
          ) + "\n",
        );
      } else {
        cli.terminal.out(
          `${b.name} ${b.version}${
            b.commit ? ` (${b.commit.slice(0, 12)})` : ""
          } ${target}\n`,
        );
      }
    });
}
