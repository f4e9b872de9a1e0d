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
  /** Writes bytes to standard output as they are (`api`'s response body). */
  outBytes?(data: Uint8Array): void;
  /**
   * Reads one line from standard input (without its line break); null at
   * the end of input. Lines longer than {@linkcode MAX_LINE} are cut there.
   * Aborting the signal stops waiting, not the underlying read: a later
   * call gets the line.
   */
  readLine(signal?: AbortSignal): Promise<string | null>;
  /** Whether standard input is a terminal. */
  readonly stdinIsTerminal: boolean;
  /** Whether standard output is a terminal. */
  readonly stdoutIsTerminal: boolean;
  /** Whether standard error is a terminal. */
  readonly stderrIsTerminal: boolean;
}

const encoder = new TextEncoder();

/** Longest line {@linkcode Terminal.readLine} returns. */
export const MAX_LINE = 16 * 1024;

/** Splits a text stream into lines; one read in flight at a time. */
export class LineReader {
  readonly #source: () => ReadableStream<Uint8Array>;
  #reader?: ReadableStreamDefaultReader<string>;
  #pending?: Promise<ReadableStreamReadResult<string>>;
  #buffer = "";
  #done = false;

  constructor(source: () => ReadableStream<Uint8Array>) {
    this.#source = source;
  }

  /** The next line, or null at the end of input. */
  async next(signal?: AbortSignal): Promise<string | null> {
    while (!this.#buffer.includes("\n")) {
      if (this.#done) {
        const rest = this.#buffer;
        this.#buffer = "";
        return rest === "" ? null : rest.slice(0, MAX_LINE);
      }
      this.#reader ??= this.#source().pipeThrough(new TextDecoderStream())
        .getReader();
      this.#pending ??= this.#reader.read();
      const result = await abortable(this.#pending, signal);
      this.#pending = undefined;
      if (result.done) this.#done = true;
      else if (this.#buffer.length < MAX_LINE * 4) this.#buffer += result.value;
    }
    const i = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, i).replace(/\r$/, "");
    this.#buffer = this.#buffer.slice(i + 1);
    return line.slice(0, MAX_LINE);
  }
}

function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", onAbort)
    );
  });
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string) {
  writeAllBytes(stream, encoder.encode(text));
}

function writeAllBytes(
  stream: { writeSync(p: Uint8Array): number },
  data: Uint8Array,
) {
  let written = 0;
  while (written < data.length) {
    written += stream.writeSync(data.subarray(written));
  }
}

/** The process's real standard streams. */
export function denoTerminal(): Terminal {
  const lines = new LineReader(() => Deno.stdin.readable);
  return {
    readLine: (signal) => lines.next(signal),
    out: (text) => writeAll(Deno.stdout, text),
    err: (text) => writeAll(Deno.stderr, text),
    outBytes: (data) => writeAllBytes(Deno.stdout, data),
    stdinIsTerminal: Deno.stdin.isTerminal(),
    stdoutIsTerminal: Deno.stdout.isTerminal(),
    stderrIsTerminal: Deno.stderr.isTerminal(),
  };
}

/** A terminal that records what is written, for tests and embedding. */
export class BufferTerminal implements Terminal {
  stdout = "";
  stderr = "";
  /** Lines `readLine` returns, in order; then the end of input. */
  input: string[] = [];
  stdinIsTerminal = false;
  stdoutIsTerminal = false;
  stderrIsTerminal = false;
  out(text: string): void {
    this.stdout += text;
  }
  err(text: string): void {
    this.stderr += text;
  }
  readLine(): Promise<string | null> {
    return Promise.resolve(this.input.shift() ?? null);
  }
}
