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

/**
 * Says once, when the pushed authorization request (RFC 9126) behind the
 * URL lapses before the login ended, what the page will then show and what
 * to do: the provider cannot send the browser back, so without this the
 * person would wait for the timeout. Returns the function that stops it.
 */
export function noticePushedExpiry(
  context: Pick<LoginContext, "signal" | "clock" | "terminal">,
  lifetimeMs: number | undefined,
  command: string,
): () => void {
  if (lifetimeMs === undefined) return () => {};
  const stop = new AbortController();
  context.clock.sleep(lifetimeMs, anySignal([context.signal, stop.signal]))
    .then(() => {
      if (stop.signal.aborted) return;
      context.terminal.err(
        `\nThe login URL has expired: the provider kept the pushed request for ${
          Math.round(lifetimeMs / 1000)
        } s only. A page not yet opened will say "invalid_request_uri"; press Ctrl-C and run "${command}" again, then open the new URL promptly.\n`,
      );
    }, () => {});
  return () => stop.abort();
}
