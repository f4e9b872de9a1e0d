/**
 * Paste-back: the authorization URL is printed, the person opens it in any
 * browser, and pastes back the address the browser ended on (or the code
 * the provider shows, with the out-of-band redirect). PKCE binds the code to
 * this attempt either way.
 *
 * @module
 */

import { createPkce, randomToken, type TokenSet } from "../oauth/provider.ts";
import { LOOPBACK_HOST, parsePorts } from "./callback_server.ts";
import { readPastedResponse } from "./paste_input.ts";
import type { LoginContext, LoginFlow } from "./types.ts";
import { formatDuration, waitForUser } from "./wait.ts";

/** The out-of-band redirect URI some providers still support. */
export const OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob";

/** The paste-back flow. */
export class PasteFlow implements LoginFlow {
  readonly name = "paste";

  async login(context: LoginContext): Promise<TokenSet> {
    const { provider, settings, terminal } = context;
    const state = randomToken();
    const nonce = randomToken();
    const pkce = await createPkce();
    // The same redirect URI shape as the loopback flow.
    const shape = provider.redirectShape;
    const redirectUri = settings.oob
      ? OOB_REDIRECT_URI
      : `http://${shape.host}:${
        shape.port ?? unusedPort(parsePorts(settings.ports))
      }${shape.path}`;
    const url = provider.authorizationUrl({
      redirectUri,
      scopes: settings.scopes,
      audience: settings.audience,
      state,
      nonce,
      codeChallenge: pkce.challenge,
    });
    terminal.err(
      `To log in to ${provider.issuer}, open this URL in a browser on any machine:\n\n  ${url.href}\n\n` +
        (settings.oob
          ? "After you approve, the provider shows a code. Paste it here: "
          : "After you approve, the browser tries to load a page on 127.0.0.1 and fails.\n" +
            `Copy the whole address from its address bar (it starts with ${redirectUri}) and paste it here (up to ${
              formatDuration(context.timeoutMs)
            }): `),
    );
    const params = await waitForUser(
      [
        readPastedResponse(terminal, {
          redirectUri: settings.oob ? "http://oob.invalid/" : redirectUri,
          state,
          issuer: provider.issuer,
          issInResponse: provider.sendsIss,
          validate: (p) => provider.validateCallback(p, state),
        }, context.signal),
      ],
      context,
      "the terminal",
    );
    return await provider.exchangeCode(
      params,
      redirectUri,
      pkce.verifier,
      nonce,
    );
  }
}

/**
 * A port for the redirect URI that nothing listens on, so the browser shows
 * an error page whose address can be copied: the first configured port, else
 * one the system just handed out and we released.
 */
function unusedPort(ports: number[]): number {
  if (ports[0] !== 0) return ports[0];
  const listener = Deno.listen({ hostname: LOOPBACK_HOST, port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
