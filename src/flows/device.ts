/**
 * The device authorization grant (RFC 8628): show a code and a URL, let the
 * person approve on any device, and poll the token endpoint meanwhile.
 *
 * @module
 */

import { TimeoutError } from "../errors.ts";
import type { DeviceAuthorization, TokenSet } from "../oauth/mod.ts";
import { stripControl } from "../errors.ts";
import type { DeviceClient, LoginContext, LoginFlow } from "./types.ts";
import { formatDuration } from "./wait.ts";

/** Poll interval when the provider gives none (RFC 8628 §3.2). */
export const DEFAULT_INTERVAL_S = 5;
/** What each `slow_down` adds to the interval (RFC 8628 §3.5). */
export const SLOW_DOWN_S = 5;
/** Longest wait between polls after network failures. */
const MAX_BACKOFF_MS = 60_000;

/** Options of {@linkcode DeviceFlow}. */
export interface DeviceOptions {
  /** Show `verification_uri_complete` as a QR code. */
  qr: boolean;
  /** Try to open the verification URL in a local browser. */
  openBrowser: boolean;
}

/** The device flow. */
export class DeviceFlow implements LoginFlow {
  readonly name = "device";
  readonly #options: DeviceOptions;

  constructor(options: DeviceOptions) {
    this.#options = options;
  }

  async login(context: LoginContext<DeviceClient>): Promise<TokenSet> {
    const { client, settings, clock, signal } = context;
    const auth = await client.deviceAuthorization(
      settings.scopes,
      settings.audience,
    );
    const deadline = clock.monotonic() + auth.expiresIn * 1000;
    await this.#show(auth, context);
    if (this.#options.openBrowser) {
      context.browser.open(auth.verificationUriComplete ?? auth.verificationUri)
        .catch(() => false);
    }
    const spinner = startSpinner(context, deadline);
    try {
      let intervalMs = (auth.interval ?? DEFAULT_INTERVAL_S) * 1000;
      let waitMs = intervalMs;
      let failures = 0;
      while (true) {
        const left = deadline - clock.monotonic();
        if (left <= 0) throw expired();
        await clock.sleep(Math.min(waitMs, left), signal);
        if (clock.monotonic() >= deadline) throw expired();
        const poll = await client.pollDeviceCode(auth.deviceCode);
        switch (poll.status) {
          case "tokens":
            return poll.tokens;
          case "pending":
            failures = 0;
            waitMs = intervalMs;
            break;
          case "slow_down":
            failures = 0;
            intervalMs += SLOW_DOWN_S * 1000;
            waitMs = intervalMs;
            break;
          case "retry": {
            failures++;
            const backoff = Math.min(
              intervalMs * 2 ** Math.min(failures, 4),
              MAX_BACKOFF_MS,
            );
            waitMs = Math.max(intervalMs, backoff, poll.retryAfterMs ?? 0);
            spinner.note(
              `${stripControl(poll.reason)} Retrying in ${
                formatDuration(waitMs)
              }.`,
            );
            break;
          }
        }
      }
    } finally {
      spinner.stop();
    }
    function expired() {
      return new TimeoutError(
        "device_code_expired",
        `The code was not approved within ${
          formatDuration(auth.expiresIn * 1000)
        } and has expired. Run login again.`,
      );
    }
  }

  async #show(auth: DeviceAuthorization, context: LoginContext<DeviceClient>) {
    const { terminal, client } = context;
    const userCode = stripControl(auth.userCode);
    const uri = stripControl(auth.verificationUri);
    let text = `To log in to ${client.issuer}, open\n\n  ${uri}\n\n` +
      `in a browser on any device and enter the code\n\n  ${userCode}\n\n`;
    if (auth.verificationUriComplete) {
      const complete = stripControl(auth.verificationUriComplete);
      text +=
        `Or open this address, which carries the code:\n\n  ${complete}\n\n`;
      if (this.#options.qr && terminal.stdoutIsTerminal) {
        // Loaded only when a QR code is shown.
        const { renderUnicodeCompact } = await import("uqr");
        text += `${renderUnicodeCompact(auth.verificationUriComplete)}\n\n`;
      }
    }
    for (const shown of [auth.verificationUri, auth.verificationUriComplete]) {
      const host = shown ? hostOf(shown) : undefined;
      if (shown && host !== hostOf(client.issuer)) {
        text += `Warning: the verification page is on "${
          stripControl(host ?? shown)
        }", not on the issuer's host "${
          hostOf(client.issuer)
        }". Enter the code only if you trust that site.\n\n`;
        break;
      }
    }
    terminal.err(text);
  }
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/** Shows that the flow is waiting: a spinner on a terminal, else one line. */
function startSpinner(context: LoginContext<unknown>, deadline: number) {
  const { terminal, clock } = context;
  if (!terminal.stderrIsTerminal) {
    terminal.err(
      `Waiting for approval (the code expires in ${
        formatDuration(deadline - clock.monotonic())
      }; Ctrl-C to cancel)…\n`,
    );
    return { note: (text: string) => terminal.err(`${text}\n`), stop() {} };
  }
  const frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
  let i = 0;
  const draw = () =>
    terminal.err(
      `\r\x1b[2K${frames[i++ % frames.length]} Waiting for approval… ${
        formatDuration(deadline - clock.monotonic())
      } left (Ctrl-C to cancel)`,
    );
  draw();
  const timer = setInterval(draw, 120);
  return {
    note(text: string) {
      terminal.err(`\r\x1b[2K${text}\n`);
      draw();
    },
    stop() {
      clearInterval(timer);
      terminal.err("\r\x1b[2K");
    },
  };
}
