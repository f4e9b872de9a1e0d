/**
 * Interruptions: Ctrl-C (SIGINT), SIGTERM (a CI runner cancelling a job)
 * and SIGHUP (a closed SSH session). Outside a shielded section the first
 * one cancels cleanly and a second ends the process at once; inside one
 * (a refresh whose answer must be saved, or the grant is lost) they wait
 * until it ends, and are honoured then, with their own exit codes.
 *
 * @module
 */

import { ExitCode, InterruptedError } from "../errors.ts";

/** The signals that end a command. */
export type InterruptSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

const EXIT_CODES = {
  SIGINT: ExitCode.interrupted,
  SIGTERM: ExitCode.terminated,
  SIGHUP: ExitCode.hangup,
} as const;

/**
 * Runs `fn` with interruptions deferred: `fn` gets a signal that nothing
 * aborts (its requests keep their own timeouts), and an interruption that
 * arrived meanwhile is thrown once `fn` has finished.
 */
export type Shield = <T>(fn: (signal: AbortSignal) => Promise<T>) => Promise<T>;

/** Interruptions as the process receives them. */
export class Interrupts {
  readonly #controller = new AbortController();
  readonly #exit: (code: number) => void;
  readonly #say: (text: string) => void;
  #shielded = 0;
  #pending?: InterruptedError;
  #received = 0;

  /**
   * `exit` ends the process at once (a second interruption outside a
   * shield); `say` tells the person that one is deferred.
   */
  constructor(exit: (code: number) => void, say: (text: string) => void) {
    this.#exit = exit;
    this.#say = say;
  }

  /** Aborted by the first interruption outside a shield. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** What the process's signal listener calls. */
  receive(name: InterruptSignal): void {
    const error = new InterruptedError(
      name === "SIGINT" ? "Interrupted." : `Stopped (${name}).`,
      { exitCode: EXIT_CODES[name] },
    );
    if (this.#shielded > 0) {
      if (!this.#pending) {
        this.#pending = error;
        this.#say(
          "Finishing the refresh first, so the new tokens are saved (the provider has retired the old ones)…\n",
        );
      }
      return;
    }
    if (++this.#received > 1) return this.#exit(error.exitCode);
    this.#controller.abort(error);
  }

  /** See {@linkcode Shield}. */
  readonly shield: Shield = async (fn) => {
    if (this.#controller.signal.aborted) throw this.#controller.signal.reason;
    this.#shielded++;
    let result;
    try {
      result = await fn(new AbortController().signal);
    } finally {
      this.#shielded--;
      const pending = this.#pending;
      if (this.#shielded === 0 && pending) {
        this.#pending = undefined;
        this.#received++;
        this.#controller.abort(pending);
        // deno-lint-ignore no-unsafe-finally
        throw pending;
      }
    }
    return result;
  };
}
