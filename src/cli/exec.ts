/**
 * `authctl exec [--env NAME] -- COMMAND ARGS…`: runs a program with a fresh
 * access token in its environment and exits with the program's exit code.
 *
 * @module
 */

import { buildCommand } from "@stricli/core";
import {
  DEFAULT_ID_TOKEN_VARIABLE,
  DEFAULT_TOKEN_VARIABLE,
} from "../app/exec.ts";
import { brandText } from "../config/brand.ts";
import { commandContext } from "./context.ts";
import {
  action,
  type CliContext,
  type CommonFlags,
  commonFlags,
  exactResource,
  minTtlFlag,
  resourceFlag,
  text,
  toggle,
} from "./flags.ts";
import { parseMinTtl } from "./token.ts";

const execFlags = {
  ...commonFlags,
  env: text(
    "environment variable to put the token in (default: AUTHCTL_ACCESS_TOKEN)",
    "name",
  ),
  minTtl: minTtlFlag,
  idToken: toggle(
    "hand over the ID token instead, in $AUTHCTL_ID_TOKEN unless --env names another variable",
  ),
  resource: resourceFlag,
} as const;

/** `exec`'s flags that take a value, as typed: `--env`, `--min-ttl`… */
export const EXEC_VALUE_FLAGS: ReadonlySet<string> = new Set(
  Object.entries(execFlags)
    .filter(([, spec]) => spec.kind !== "boolean")
    .map(([key]) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`),
);

/** `exec`'s flags. */
interface ExecFlags extends CommonFlags {
  readonly env?: string;
  readonly minTtl: string;
  readonly idToken?: boolean;
  readonly resource?: string;
}

/**
 * Builds the `exec` command. Everything after the program's name is the program's
 * own, flags included (`runCli` ends authctl's flags there).
 */
export const execCommand = () =>
  buildCommand<ExecFlags, string[], CliContext>({
    docs: {
      brief:
        "run COMMAND with a fresh access token in $AUTHCTL_ACCESS_TOKEN (or --env NAME); exits with its exit code",
    },
    parameters: {
      flags: execFlags,
      positional: {
        kind: "array",
        parameter: {
          brief: "the program to run and its arguments",
          parse: String,
          placeholder: "command",
        },
        minimum: 1,
      },
    },
    func: action(
      async function (
        this: CliContext,
        flags: ExecFlags,
        ...command: string[]
      ) {
        const cli = this.cli;
        const { execWithToken } = await import("../app/exec.ts");
        const { resource, ...rest } = flags;
        const { settings, deps } = await commandContext(
          rest,
          cli,
          exactResource(resource),
        );
        this.outcome.exitCode = await execWithToken(
          deps,
          cli.processes,
          settings,
          {
            command,
            // A branded build hands out $ACMECTL_ACCESS_TOKEN.
            variable: flags.env ??
              brandText(
                flags.idToken
                  ? DEFAULT_ID_TOKEN_VARIABLE
                  : DEFAULT_TOKEN_VARIABLE,
                cli.build.name,
              ),
            minTtlMs: parseMinTtl(flags.minTtl),
            idToken: flags.idToken,
          },
        );
      },
    ),
  });
