/**
 * Paste-back: the authorization URL is printed, the person opens it in any
 * browser, and pastes back the address the browser ended on (or the code
 * the provider shows, with the out-of-band redirect). PKCE binds the code to
 * this attempt either way.
 *
 * @module
 */

import { AuthctlError } from "../errors.ts";
import { createPkce, randomToken } from "../oauth/pkce.ts";
import type { TokenSet } from "../oauth/mod.ts";
import { LOOPBACK_HOST } from "./callback_server.ts";
import { readPastedResponse } from "./paste_input.ts";
import type {
  AuthorizationCodeClient,
  LoginContext,
  LoginFlow,
} from "./types.ts";
import { formatDuration, noticePushedExpiry, waitForUser } from "./wait.ts";

/** The out-of-band redirect URI some providers still support. */
export const OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob";

/** The paste-back flow. */
export class PasteFlow implements LoginFlow {
  readonly name = "paste";

  async login(
    context: LoginContext<AuthorizationCodeClient>,
  ): Promise<TokenSet> {
    const { client, settings, terminal } = context;
    const state = randomToken();
    const nonce = randomToken();
    const pkce = await createPkce();
    // The same redirect URI shape as the loopback flow.
    const shape = client.redirectShape;
    const redirectUri = settings.oob
      ? OOB_REDIRECT_URI
      : `http://${shape.host}:${
        shape.port ?? unusedPort(settings.ports)
      }${shape.path}`;
    const { url, lifetimeMs } = await client.authorizationUrl({
      redirectUri,
      scopes: settings.scopes,
      audience: settings.audience,
      state,
      nonce,
      codeChallenge: pkce.challenge,
    });
    terminal.err(
      `To log in to ${client.issuer}, open this URL in a browser on any machine:\n\n  ${url.href}\n\n` +
        (settings.oob
          ? "After you approve, the provider shows a code. Paste it here: "
          : "After you approve, the browser tries to load a page on 127.0.0.1 and fails.\n" +
            `Copy the whole address from its address bar (it starts with ${redirectUri}) and paste it here (up to ${
              formatDuration(context.timeoutMs)
            }): `),
    );
    // A code the provider refuses (a typo, a half-copied address) is said
    // in one line, and the person pastes again: the same verifier and state
    // until the login's timeout; no code is ever sent twice.
    const used = new Set<string>();
    const expect = {
      redirectUri: settings.oob ? "http://oob.invalid/" : redirectUri,
      state,
      issuer: client.issuer,
      issInResponse: client.sendsIss,
      validate: (p: URLSearchParams) => client.validateCallback(p, state),
      used,
    };
    const attempt = async (): Promise<TokenSet> => {
      while (true) {
        const params = await readPastedResponse(
          terminal,
          expect,
          context.signal,
        );
        used.add(params.get("code") ?? "");
        try {
          return await client.exchangeCode(
            params,
            redirectUri,
            pkce.verifier,
            nonce,
          );
        } catch (err) {
          if (!codeRefused(err)) throw err;
          terminal.err(
            `The provider refused that code (invalid_grant): it was mistyped, half-copied, or already used. Approve again in the browser if needed, and paste the address it ends on: `,
          );
        }
      }
    };
    const stopNotice = noticePushedExpiry(
      context,
      lifetimeMs,
      `${context.appName ?? "authctl"} login`,
    );
    try {
      return await waitForUser([attempt()], context, "the terminal");
    } finally {
      stopNotice();
    }
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

/** Whether an exchange failed because the provider refused the code itself. */
function codeRefused(err: unknown): boolean {
  return err instanceof AuthctlError &&
    (err.cause as { error?: unknown } | undefined)?.error === "invalid_grant";
}
