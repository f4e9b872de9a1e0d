/**
 * Runs a program to its end and collects what it printed: the one helper
 * the tests use for a child they only wait for.
 */

/** What a finished program printed, and how it ended. */
export interface ProgramResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command` with `args`, no standard input. With `env`, the child gets
 * exactly that environment (nothing inherited).
 */
export async function runProgram(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<ProgramResult> {
  const out = await new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: options.env,
    clearEnv: options.env !== undefined,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}
