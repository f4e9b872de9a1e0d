/**
 * `authctl help [COMMAND…]`: the help of the program or of one command (the
 * same as `COMMAND --help`).
 *
 * @module
 */

import { buildCommand } from "@stricli/core";
import { action, type CliContext } from "./flags.ts";

/** Builds the `help` command (when it runs, or for help). */
export const helpCommand = () =>
  buildCommand<
    Record<never, never>,
    string[],
    CliContext
  >({
    docs: { brief: "show the help of the program, or of COMMAND" },
    parameters: {
      positional: {
        kind: "array",
        parameter: {
          brief: "a command",
          parse: String,
          placeholder: "command",
        },
      },
    },
    func: action(
      function (
        this: CliContext,
        _flags: Record<never, never>,
        ...command: string[]
      ) {
        this.outcome.rerun = [...command, "--help"];
      },
    ),
  });
