/**
 * Time behind a seam, so waits and expiry can be tested without waiting.
 *
 * @module
 */

import { interruptionOf } from "../errors.ts";

/** Wall-clock and monotonic time, and cancellable sleeping. */
export interface Clock {
  /** Milliseconds since the epoch (for expiry timestamps). */
  now(): number;
  /** Monotonic milliseconds (for measuring waits). */
  monotonic(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/**
 * The reason a signal was aborted, as an authctl error: the reason itself
 * when it is one (a timeout, say), else an interruption (exit 130).
 */
export function abortReason(signal: AbortSignal): Error {
  return interruptionOf(signal.reason);
}
