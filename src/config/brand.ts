/**
 * A branded build's name reaches everything a user sees or sets: the command
 * name, the config directory, the keychain service, and the prefix of its
 * environment variables (`acmectl` reads `ACMECTL_ISSUER`, never
 * `AUTHCTL_ISSUER`), so two white-labelled binaries on one machine never share
 * settings or credentials.
 *
 * The code asks for `AUTHCTL_*` names throughout; {@linkcode brandEnv} and
 * {@linkcode brandText} translate them at the edges.
 *
 * @module
 */

import type { Env } from "../platform/env.ts";
import type { Terminal } from "../platform/terminal.ts";

/** The prefix the source code uses for its environment variables. */
export const SOURCE_ENV_PREFIX = "AUTHCTL_";

/** The environment-variable prefix of a build named `name`: `ACMECTL_`. */
export function envPrefix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, "_") + "_";
}

/**
 * The environment as a build named `name` sees it: a lookup of
 * `AUTHCTL_X` reads `<PREFIX>_X`; every other name is read unchanged.
 */
export function brandEnv(env: Env, name: string): Env {
  const prefix = envPrefix(name);
  if (prefix === SOURCE_ENV_PREFIX) return env;
  return {
    get: (key) =>
      env.get(
        key.startsWith(SOURCE_ENV_PREFIX)
          ? prefix + key.slice(SOURCE_ENV_PREFIX.length)
          : key,
      ),
  };
}

/** Text shown to the user (help, errors) with the build's variable names. */
export function brandText(text: string, name: string): string {
  const prefix = envPrefix(name);
  return prefix === SOURCE_ENV_PREFIX
    ? text
    : text.replaceAll(SOURCE_ENV_PREFIX, prefix);
}

/**
 * The terminal of a build named `name`: every message for a person
 * (stderr) names the build's own variables. Standard output is left alone:
 * it carries tokens, which must reach scripts byte for byte.
 */
export function brandTerminal(terminal: Terminal, name: string): Terminal {
  if (envPrefix(name) === SOURCE_ENV_PREFIX) return terminal;
  return {
    out: (text) => terminal.out(text),
    err: (text) => terminal.err(brandText(text, name)),
    outBytes: terminal.outBytes
      ? (data) => terminal.outBytes!(data)
      : undefined,
    readLine: (signal) => terminal.readLine(signal),
    get stdinIsTerminal() {
      return terminal.stdinIsTerminal;
    },
    get stdoutIsTerminal() {
      return terminal.stdoutIsTerminal;
    },
    get stderrIsTerminal() {
      return terminal.stderrIsTerminal;
    },
  };
}
