/**
 * `authctl exec [--env NAME] -- COMMAND ARGS…`: runs a program with a fresh
 * access token in its environment and exits with the program's exit code.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { DEFAULT_TOKEN_VARIABLE, execWithToken } from "../app/exec.ts";
import { brandText } from "../config/brand.ts";
import { type CliDeps, commandContext, withCommonOptions } from "./context.ts";

/** Where a command leaves the exit code it wants (exec: the program's). */
export interface CommandOutcome {
  exitCode: number;
}

/** Builds the `exec` command. */
export function execCommand(cli: CliDeps, outcome: CommandOutcome) {
  // A branded build hands out $ACMECTL_ACCESS_TOKEN.
  const variable = brandText(DEFAULT_TOKEN_VARIABLE, cli.build.name);
  return withCommonOptions(
    new Command("exec")
      .description(
        `run COMMAND with a fresh access token in $${variable} (or --env NAME); exits with its exit code`,
      )
      .usage("[options] -- COMMAND [ARGS...]"),
  )
    .option(
      "--env <name>",
      "environment variable to put the token in",
      variable,
    )
    .option(
      "--min-ttl <seconds>",
      "refresh first when the token expires within this many seconds",
      "60",
    )
    .argument("<command...>", "the program to run and its arguments")
    // Everything after the program's name is the program's own.
    .passThroughOptions()
    .action(async (command, flags) => {
      const { settings, deps } = await commandContext(flags, cli);
      const minTtl = Number(flags.minTtl);
      outcome.exitCode = await execWithToken(
        deps,
        cli.processes,
        settings,
        {
          command,
          variable: flags.env,
          minTtlMs: Number.isInteger(minTtl) && minTtl >= 0
            ? minTtl * 1000
            : undefined,
        },
      );
    });
}
