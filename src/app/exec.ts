/**
 * The exec use case: run a program with a fresh access token in one
 * environment variable, and hand back its exit code.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import { UsageError } from "../errors.ts";
import type { ProcessRunner } from "../platform/process.ts";
import type { AppDeps } from "./deps.ts";
import { requireBearer } from "./credential.ts";
import { getIdToken, getToken } from "./token.ts";

/** The default variable that carries the token. */
export const DEFAULT_TOKEN_VARIABLE = "AUTHCTL_ACCESS_TOKEN";

/** The default variable that carries the ID token (`--id-token`). */
export const DEFAULT_ID_TOKEN_VARIABLE = "AUTHCTL_ID_TOKEN";

/** Options of {@linkcode execWithToken}. */
export interface ExecOptions {
  /** The program and its arguments. */
  command: string[];
  /** The environment variable for the token. */
  variable?: string;
  /** Minimum remaining lifetime of the token, in milliseconds. */
  minTtlMs?: number;
  /** Hand over the ID token instead of the access token. */
  idToken?: boolean;
}

/**
 * Runs `options.command` with a fresh access token in
 * `options.variable`; resolves with the program's exit code. The token is
 * never put in the program's arguments.
 */
export async function execWithToken(
  deps: Pick<
    AppDeps,
    "store" | "clock" | "locks" | "signal" | "network" | "connect"
  >,
  runner: ProcessRunner,
  settings: Settings,
  options: ExecOptions,
): Promise<number> {
  const variable = options.variable ?? DEFAULT_TOKEN_VARIABLE;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
    throw new UsageError(
      "invalid_env_name",
      `Invalid --env "${variable}". Give a variable name: letters, digits and "_", not starting with a digit.`,
    );
  }
  const [command, ...args] = options.command;
  if (!command) {
    throw new UsageError(
      "no_command",
      "No command to run. Give it after --, e.g. exec -- curl https://api.example.com",
    );
  }
  if (options.idToken) {
    const { idToken } = await getIdToken(deps, settings, {
      minTtlMs: options.minTtlMs,
    });
    return await runner.run(command, args, { [variable]: idToken });
  }
  const credential = await getToken(deps, settings, {
    minTtlMs: options.minTtlMs,
  });
  requireBearer(credential, "a program started by exec", settings);
  return await runner.run(command, args, {
    [variable]: credential.accessToken,
  });
}
