/**
 * Authorization code flow with PKCE through a loopback redirect (RFC 8252,
 * RFC 7636, RFC 9207): the browser comes back to a one-shot listener on
 * 127.0.0.1.
 *
 * @module
 */

import { TimeoutError } from "../errors.ts";
import { createPkce, randomToken, type TokenSet } from "../oauth/provider.ts";
import { abortReason } from "../platform/clock.ts";
import { parsePorts, startCallbackServer } from "./callback_server.ts";
import type { LoginContext, LoginFlow } from "./types.ts";

/** The loopback flow. */
export class LoopbackFlow implements LoginFlow {
  readonly name = "loopback";

  async login(context: LoginContext): Promise<TokenSet> {
    const { provider, settings, terminal, browser } = context;
    const ports = parsePorts(settings.ports);
    const state = randomToken();
    const nonce = randomToken();
    const pkce = await createPkce();
    const server = await startCallbackServer({
      ports,
      state,
      validate: (params) => provider.validateCallback(params, state),
    });
    try {
      const url = provider.authorizationUrl({
        redirectUri: server.redirectUri,
        scopes: settings.scopes,
        audience: settings.audience,
        state,
        nonce,
        codeChallenge: pkce.challenge,
      });
      terminal.err(
        `Opening your browser to log in to ${provider.issuer}\n` +
          `If it does not open, visit this URL in a browser on this machine:\n\n  ${url.href}\n\n`,
      );
      browser.open(url.href).then((opened) => {
        if (!opened) {
          terminal.err(
            "No browser could be opened here; open the URL above yourself.\n",
          );
        }
      }, () => {});
      terminal.err(
        `Waiting for the browser (up to ${
          formatDuration(context.timeoutMs)
        }; Ctrl-C to cancel)…\n`,
      );
      const params = await waitFor(server.result, context);
      await server.close();
      return await provider.exchangeCode(
        params,
        server.redirectUri,
        pkce.verifier,
        nonce,
      );
    } finally {
      await server.close();
    }
  }
}

/** Waits for `promise`, failing on the flow's timeout or on Ctrl-C. */
async function waitFor<T>(
  promise: Promise<T>,
  context: LoginContext,
): Promise<T> {
  const { signal, timeoutMs, clock } = context;
  const timer = new AbortController();
  const both = AbortSignal.any([signal, timer.signal]);
  try {
    return await Promise.race([
      promise,
      clock.sleep(timeoutMs, both).then(() => {
        throw new TimeoutError(
          "login_timeout",
          `No answer from the browser within ${
            formatDuration(timeoutMs)
          }. Run login again, or give more time with --timeout.`,
        );
      }, () => {
        throw abortReason(signal);
      }),
    ]);
  } finally {
    timer.abort();
  }
}

/** "5m", "90s", "1m30s". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  const r = s % 60;
  if (m === 0) return `${r}s`;
  return r === 0 ? `${m}m` : `${m}m${r}s`;
}
