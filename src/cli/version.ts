/**
 * `authctl version`: the build's identity and baked settings.
 *
 * @module
 */

import { buildCommand } from "@stricli/core";
import { bakedSettings } from "../config/distribution.ts";
import { action, type CliContext, toggle } from "./flags.ts";

/** Builds the `version` command (when it runs, or for help). */
export const versionCommand = () =>
  buildCommand<
    { readonly json?: boolean },
    [],
    CliContext
  >({
    docs: { brief: "show the version, build and baked-in settings" },
    parameters: { flags: { json: toggle("print as JSON") } },
    func: action(
      function (this: CliContext, flags: { readonly json?: boolean }) {
        const cli = this.cli;
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
                baked: bakedSettings(b),
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
      },
    ),
  });
