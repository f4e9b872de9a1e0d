/**
 * Waiting for the user, bounded by the flow's timeout and Ctrl-C.
 *
 * @module
 */

import { anySignal } from "../platform/signal.ts";
import { TimeoutError } from "../errors.ts";
import { abortReason } from "../platform/clock.ts";
import type { LoginContext } from "./types.ts";

/**
 * Waits for the first of `promises`; fails with exit 6 after the flow's
 * timeout and with the interrupt on Ctrl-C. `what` names what was awaited.
 */
export async function waitForUser<T>(
  promises: Promise<T>[],
  context: Pick<LoginContext, "signal" | "timeoutMs" | "clock">,
  what: string,
): Promise<T> {
  const { signal, timeoutMs, clock } = context;
  const timer = new AbortController();
  const both = anySignal([signal, timer.signal]);
  try {
    return await Promise.race([
      ...promises,
      clock.sleep(timeoutMs, both).then(() => {
        throw new TimeoutError(
          "login_timeout",
          `No answer from ${what} within ${
            formatDuration(timeoutMs)
          }. Run login again, or give more time with --timeout.`,
        );
      }, () => {
        throw abortReason(signal.aborted ? signal : timer.signal);
      }),
    ]);
  } finally {
    timer.abort();
  }
}

/** "5m", "90s", "1m30s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  const r = s % 60;
  if (m === 0) return `${r}s`;
  return r === 0 ? `${m}m` : `${m}m${r}s`;
}
