/**
 * Combining abort signals.
 *
 * @module
 */

/**
 * A signal aborted when any of `signals` is, with its reason. Used instead
 * of `AbortSignal.any`, whose combined signal Deno may garbage-collect while
 * a fetch still waits on it (denoland/deno#29075): here each source holds
 * the combined controller through its listener.
 */
export function anySignal(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener("abort", () => controller.abort(signal.reason), {
      once: true,
      signal: controller.signal,
    });
  }
  return controller.signal;
}
