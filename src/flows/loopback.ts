/**
 * Authorization code flow with PKCE through a loopback redirect (RFC 8252,
 * RFC 7636, RFC 9207): the browser comes back to a one-shot listener on
 * 127.0.0.1. When someone is at the terminal, the address the browser ended
 * on can be pasted instead, for a browser on another machine.
 *
 * @module
 */

import { stripControl } from "../errors.ts";
import { anySignal } from "../platform/signal.ts";
import { createPkce, randomToken } from "../oauth/pkce.ts";
import type { TokenSet } from "../oauth/mod.ts";
import { startCallbackServer } from "./callback_server.ts";
import { readPastedResponse } from "./paste_input.ts";
import type {
  AuthorizationCodeClient,
  LoginContext,
  LoginFlow,
} from "./types.ts";
import { formatDuration, noticePushedExpiry, waitForUser } from "./wait.ts";

/** Options of {@linkcode LoopbackFlow}. */
export interface LoopbackOptions {
  /** Also accept a pasted redirect address from the terminal. */
  acceptPaste: boolean;
  /** Open a browser here (false with `--no-browser`: only print the URL). */
  openBrowser: boolean;
}

/** The loopback flow. */
export class LoopbackFlow implements LoginFlow {
  readonly name = "loopback";
  readonly #options: LoopbackOptions;

  constructor(
    options: LoopbackOptions = { acceptPaste: false, openBrowser: true },
  ) {
    this.#options = options;
  }

  async login(
    context: LoginContext<AuthorizationCodeClient>,
  ): Promise<TokenSet> {
    const { client, settings, terminal, browser } = context;
    const shape = client.redirectShape;
    const ports = shape.port ? [shape.port] : settings.ports;
    const state = randomToken();
    const nonce = randomToken();
    const pkce = await createPkce();
    const validate = (params: URLSearchParams) =>
      client.validateCallback(params, state);
    // A refused request is said in one line, at most one every few seconds.
    let lastNotice = -Infinity;
    const onRejected = (reason: string) => {
      const now = context.clock.monotonic();
      if (now - lastNotice < 5000) return;
      lastNotice = now;
      terminal.err(
        `Ignored a request to the callback: ${reason}. Still waiting for this login.\n`,
      );
    };
    const server = await startCallbackServer({
      ports,
      shape,
      state,
      validate,
      onRejected,
      appName: context.appName,
    });
    const stopPaste = new AbortController();
    let stopNotice = () => {};
    try {
      const { url, lifetimeMs } = await client.authorizationUrl({
        redirectUri: server.redirectUri,
        scopes: settings.scopes,
        audience: settings.audience,
        state,
        nonce,
        codeChallenge: pkce.challenge,
      });
      if (this.#options.openBrowser) {
        terminal.err(
          `Opening your browser to log in to ${client.issuer}\n` +
            `If it does not open, visit this URL in a browser on this machine:\n\n  ${url.href}\n\n`,
        );
        browser.open(url.href).then((opened) => {
          if (!opened) {
            terminal.err(
              "No browser could be opened here; open the URL above yourself.\n",
            );
          }
        }, () => {});
      } else {
        terminal.err(
          `To log in to ${client.issuer}, open this URL in a browser on this machine:\n\n  ${url.href}\n\n`,
        );
      }
      const waiting = [server.result];
      if (this.#options.acceptPaste) {
        terminal.err(
          "If your browser is on another machine, paste here the address it ends on (its page will not load).\n",
        );
        waiting.push(
          readPastedResponse(terminal, {
            redirectUri: server.redirectUri,
            state,
            issuer: client.issuer,
            issInResponse: client.sendsIss,
            validate,
          }, anySignal([context.signal, stopPaste.signal])),
        );
      }
      terminal.err(
        `Waiting for the browser (up to ${
          formatDuration(context.timeoutMs)
        }; Ctrl-C to cancel)…\n`,
      );
      stopNotice = noticePushedExpiry(
        context,
        lifetimeMs,
        `${context.appName ?? "authctl"} login`,
      );
      const params = await waitForUser(waiting, context, "the browser");
      stopNotice();
      stopPaste.abort();
      try {
        const tokens = await client.exchangeCode(
          params,
          server.redirectUri,
          pkce.verifier,
          nonce,
        );
        server.finish({ ok: true, account: accountOf(tokens) });
        return tokens;
      } catch (err) {
        server.finish({
          ok: false,
          reason: stripControl((err as Error).message),
        });
        throw err;
      }
    } finally {
      stopNotice();
      stopPaste.abort();
      await server.close();
    }
  }
}

/** "alice (alice@example.com)": who logged in, for the browser's page. */
function accountOf(tokens: TokenSet): string | undefined {
  const id = tokens.identity;
  if (!id) return undefined;
  const name = id.preferred_username ?? id.name ?? id.email ?? id.sub;
  return id.email && id.email !== name ? `${name} (${id.email})` : name;
}
