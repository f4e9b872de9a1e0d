/**
 * Terminal I/O behind a seam: commands write results to `out` (stdout) and
 * everything meant for a person to `err` (stderr).
 *
 * @module
 */

/** Where a command writes, and what it is attached to. */
export interface Terminal {
  /** Writes to standard output (results scripts read). */
  out(text: string): void;
  /** Writes to standard error (messages for a person). */
  err(text: string): void;
  /** Whether standard input is a terminal. */
  readonly stdinIsTerminal: boolean;
  /** Whether standard output is a terminal. */
  readonly stdoutIsTerminal: boolean;
  /** Whether standard error is a terminal. */
  readonly stderrIsTerminal: boolean;
}

const encoder = new TextEncoder();

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string) {
  const data = encoder.encode(text);
  let written = 0;
  while (written < data.length) {
    written += stream.writeSync(data.subarray(written));
  }
}

/** The process's real standard streams. */
export function denoTerminal(): Terminal {
  return {
    out: (text) => writeAll(Deno.stdout, text),
    err: (text) => writeAll(Deno.stderr, text),
    stdinIsTerminal: Deno.stdin.isTerminal(),
    stdoutIsTerminal: Deno.stdout.isTerminal(),
    stderrIsTerminal: Deno.stderr.isTerminal(),
  };
}

/** A terminal that records what is written, for tests and embedding. */
export class BufferTerminal implements Terminal {
  stdout = "";
  stderr = "";
  stdinIsTerminal = false;
  stdoutIsTerminal = false;
  stderrIsTerminal = false;
  out(text: string): void {
    this.stdout += text;
  }
  err(text: string): void {
    this.stderr += text;
  }
}
