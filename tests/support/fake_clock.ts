/**
 * A clock whose sleeps return at once and move time forward: polling tests
 * take milliseconds, and every wait is recorded.
 */

import type { Clock } from "../../src/platform/clock.ts";
import { abortReason } from "../../src/platform/clock.ts";

/** A {@linkcode Clock} that only moves when slept on. */
export class FakeClock implements Clock {
  /** Monotonic milliseconds since the start. */
  elapsed = 0;
  /** Every sleep asked for, in milliseconds. */
  sleeps: number[] = [];
  readonly #epoch: number;

  constructor(epoch = Date.now()) {
    this.#epoch = epoch;
  }

  now(): number {
    return this.#epoch + this.elapsed;
  }

  monotonic(): number {
    return this.elapsed;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    this.sleeps.push(ms);
    this.elapsed += ms;
    return Promise.resolve();
  }
}
