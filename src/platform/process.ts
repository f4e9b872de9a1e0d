/**
 * Running another program for `exec`: it inherits the terminal and this
 * process's environment plus what authctl adds, and the signals authctl
 * receives are passed on to it.
 *
 * @module
 */

import { CommandError } from "../errors.ts";
import { childEnvironment, type OsName } from "./env.ts";

/** Runs a child program to completion. */
export interface ProcessRunner {
  /**
   * Runs `command` with `args`, this process's environment plus `env`, and
   * the terminal's stdin, stdout and stderr. Resolves with its exit code
   * (128 + the signal number when a signal ended it).
   */
  run(
    command: string,
    args: string[],
    env: Record<string, string>,
  ): Promise<number>;
}

/**
 * Signals passed on to the child. SIGINT is passed on only when stdin is not
 * a terminal: a Ctrl-C at the terminal already reaches the child, which is in
 * the terminal's foreground process group.
 */
const FORWARDED: Deno.Signal[] = [
  "SIGTERM",
  "SIGHUP",
  "SIGQUIT",
  "SIGUSR1",
  "SIGUSR2",
];

/** The real runner. */
export function denoProcessRunner(
  os: OsName,
  stdinIsTerminal: boolean,
  withheld: readonly string[] = [],
): ProcessRunner {
  return {
    async run(command, args, env) {
      let child: Deno.ChildProcess;
      try {
        child = new Deno.Command(command, {
          args,
          // The program gets the token; never the client's secret.
          ...childEnvironment(withheld, env),
          stdin: "inherit",
          stdout: "inherit",
          stderr: "inherit",
        }).spawn();
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          throw new CommandError(
            "command_not_found",
            `Command "${command}" was not found. Check its name, or give its full path.`,
            { cause: err },
          );
        }
        if (err instanceof Deno.errors.PermissionDenied) {
          throw new CommandError(
            "not_executable",
            `Command "${command}" cannot be run (permission denied). Check that it is an executable file.`,
            { cause: err },
          );
        }
        throw err;
      }
      const signals = os === "windows"
        ? []
        : stdinIsTerminal
        ? FORWARDED
        : [...FORWARDED, "SIGINT" as const];
      const listeners = signals.map((signal) => {
        const pass = () => {
          try {
            child.kill(signal);
          } catch { /* already gone */ }
        };
        Deno.addSignalListener(signal, pass);
        return () => Deno.removeSignalListener(signal, pass);
      });
      try {
        const status = await child.status;
        return status.code;
      } finally {
        for (const remove of listeners) remove();
      }
    },
  };
}

/** What a program printed, and how it ended. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion and captures its output (a CI's agent that
 * prints a token): no stdin, this process's environment less `withheld`.
 */
export type CommandCapture = (
  command: string,
  args: string[],
) => Promise<CommandOutput>;

/** The real {@linkcode CommandCapture}. */
export function denoCommandCapture(
  withheld: readonly string[] = [],
): CommandCapture {
  return async (command, args) => {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(command, {
        args,
        ...childEnvironment(withheld),
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new CommandError(
          "command_not_found",
          `Command "${command}" was not found. Run this where it is installed (on the CI's agent), or check PATH.`,
          { cause: err },
        );
      }
      throw err;
    }
    const text = new TextDecoder();
    return {
      code: out.code,
      stdout: text.decode(out.stdout),
      stderr: text.decode(out.stderr),
    };
  };
}
