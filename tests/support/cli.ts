/**
 * Runs the real CLI (`main.ts`) as a child process, with exactly the
 * permission flags of `deno task authctl` (read from deno.json).
 */

import { cliArgs } from "../../scripts/cli_args.ts";

export { cliArgs };

/**
 * What a child inherits: where programs and Deno's cache are, and how this
 * machine reaches the npm registry (a private CA, a proxy for Deno's own
 * downloads).
 */
export const PASSED_THROUGH = [
  "PATH",
  "HOME",
  "DENO_DIR",
  "TMPDIR",
  "LANG",
  "NODE_EXTRA_CA_CERTS",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
];

/** The inherited part of a child's environment ({@linkcode PASSED_THROUGH}). */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of PASSED_THROUGH) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/** Environment for a CLI child: isolated config, no inherited settings. */
export function cliEnv(
  configDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...baseEnv(),
    AUTHCTL_CONFIG_DIR: configDir,
    // oidc-provider issues a refresh token (offline_access) only with an
    // explicit consent prompt (OpenID Connect Core §11), which authctl no
    // longer sends unless told.
    AUTHCTL_PROMPT: "consent",
    // Deno itself may ask dl.deno.land for a newer release (a compiled
    // binary never does); the proxy test would count that request.
    DENO_NO_UPDATE_CHECK: "1",
    BROWSER: "true", // the test drives Chromium itself
    NO_COLOR: "1",
    ...extra,
  };
}

/** The outcome of a finished CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...await cliArgs(), ...args],
    env,
    clearEnv: true,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** A CLI child still running, whose output is watched. */
export interface RunningCli {
  child: Deno.ChildProcess;
  /** Everything written to stderr (in a pty: all output) so far. */
  stderr(): string;
  /** Resolves with the first match of `pattern` in stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Writes to the CLI's standard input (spawned with `stdin: true`). */
  write(text: string): Promise<void>;
  /** Waits for the exit; collects stdout and the whole stderr. */
  finish(): Promise<CliResult>;
}

/** Starts the CLI without waiting for it. */
export async function spawnCli(
  args: string[],
  env: Record<string, string>,
  options: { stdin?: boolean; pty?: boolean } = {},
): Promise<RunningCli> {
  return spawnCommand(
    [Deno.execPath(), ...await cliArgs(), ...args],
    env,
    options,
  );
}

/**
 * Starts any command line (a built bundle, an example program) and watches
 * it like {@linkcode spawnCli}.
 */
export function spawnCommand(
  cli: string[],
  env: Record<string, string>,
  options: { stdin?: boolean; pty?: boolean; cwd?: string } = {},
): RunningCli {
  // In a pty (util-linux `script`), stdin, stdout and stderr are terminals;
  // everything the CLI prints arrives on script's stdout.
  const [cmd, cmdArgs] = options.pty
    ? ["script", ["-qfec", cli.map(shellQuote).join(" "), "/dev/null"]]
    : [cli[0], cli.slice(1)];
  const child = new Deno.Command(cmd, {
    args: cmdArgs,
    env,
    clearEnv: true,
    cwd: options.cwd,
    stdin: options.stdin || options.pty ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const watch = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
    }
  };
  const stdoutText = options.pty
    ? watch(child.stdout).then(() => "")
    : new Response(child.stdout).text();
  const stderrDone = watch(child.stderr);
  const writer = options.stdin || options.pty
    ? child.stdin.getWriter()
    : undefined;
  return {
    child,
    stderr: () => stderr,
    async waitFor(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const m = stderr.match(pattern);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`output never matched ${pattern}:\n${stderr}`);
    },
    async write(text) {
      await writer!.write(new TextEncoder().encode(text));
    },
    async finish() {
      const status = await child.status;
      await writer?.close().catch(() => {});
      await stderrDone;
      return { code: status.code, stdout: await stdoutText, stderr };
    },
  };
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The authorization URL the CLI printed. */
export const AUTH_URL = /(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)\s/;
