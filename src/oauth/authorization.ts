/**
 * The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636): the
 * authorization URL (pushed first with PAR, RFC 9126), the checks of the
 * authorization response, and the code exchange. In order:
 * {@linkcode authorizationUrl} → (the browser) → {@linkcode validateCallback}
 * → {@linkcode authorizationCodeGrant}.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import { ProviderError, UsageError } from "../errors.ts";
import { toAuthctlError } from "./failure.ts";
import { tokenSetOf } from "./id_token.ts";
import {
  pushesAuthorizationRequests,
  requestedScopes,
  resourceParams,
} from "./policy.ts";
import {
  call,
  checkBound,
  clientAuth,
  clientOf,
  type ProviderSession,
  timedClient,
  tokenRequestOptions,
  type TokenSet,
  withDpopNonce,
} from "./session.ts";
import { withUserinfo } from "./userinfo.ts";

/** Parameters of an authorization request. */
export interface AuthorizationRequest {
  redirectUri: string;
  /** The configured scopes; the protocol's own are added. */
  scopes: string[];
  audience: string;
  state: string;
  nonce: string;
  codeChallenge: string;
}

/** The URL to send the person to, and how long it stays usable. */
export interface AuthorizationUrl {
  url: URL;
  /**
   * When the URL carries a pushed request: its lifetime in milliseconds
   * (RFC 9126 `expires_in`); the wait for the person ends with it.
   */
  lifetimeMs?: number;
}

/**
 * Builds the authorization URL (PKCE S256, state, nonce, resources, the
 * DPoP key's thumbprint). With pushed authorization requests the parameters
 * go to the provider first, and the URL carries only `client_id` and
 * `request_uri`, so nothing of the request shows in the browser's address
 * bar or history. Next: the person's browser, then
 * {@linkcode validateCallback}.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.1}
 * @see {@link https://www.rfc-editor.org/rfc/rfc9126.html#section-2}
 */
export async function authorizationUrl(
  session: ProviderSession,
  request: AuthorizationRequest,
): Promise<AuthorizationUrl> {
  const endpoint = session.metadata.authorization_endpoint;
  if (!endpoint) {
    throw new ProviderError(
      "no_authorization_endpoint",
      `The provider "${session.issuer}" has no authorization endpoint in its metadata, so a browser login is impossible. With a token endpoint alone, log in without a person (login --federated SOURCE, or login --client-credentials), or configure its authorization_endpoint.`,
    );
  }
  const params = new URLSearchParams();
  params.set("response_type", "code");
  params.set("client_id", session.clientId);
  params.set("redirect_uri", request.redirectUri);
  params.set("scope", requestedScopes(session, request.scopes).join(" "));
  params.set("state", request.state);
  if (session.kind === "oidc") params.set("nonce", request.nonce);
  params.set("code_challenge", request.codeChallenge);
  params.set("code_challenge_method", "S256");
  // Never forced: `prompt` only when the profile sets it (Entra answers
  // prompt=consent with AADSTS90094 where users may not consent).
  if (session.settings.prompt) params.set("prompt", session.settings.prompt);
  if (request.audience) params.set("audience", request.audience);
  for (const [k, v] of resourceParams(session.settings)) params.append(k, v);
  const extra = {
    ...session.preset.authParams,
    ...session.settings.authParams,
  };
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  // The code is bound to the DPoP key too (RFC 9449 §10).
  if (session.dpop) {
    params.set("dpop_jkt", await session.dpop.handle.calculateThumbprint());
  }
  const url = new URL(endpoint);
  if (!pushesAuthorizationRequests(session)) {
    for (const [k, v] of params) url.searchParams.append(k, v);
    return { url };
  }
  if (!session.metadata.pushed_authorization_request_endpoint) {
    throw new UsageError(
      "par_unsupported",
      `par = true, but the provider "${session.issuer}" publishes no pushed_authorization_request_endpoint. Unset par (or --no-par).`,
    );
  }
  const pushed = await call(
    session,
    "pushed authorization response",
    () =>
      withDpopNonce(session, async () => {
        const response = await oauth.pushedAuthorizationRequest(
          session.metadata,
          clientOf(session),
          clientAuth(session),
          params,
          tokenRequestOptions(session, false),
        );
        return await oauth.processPushedAuthorizationResponse(
          session.metadata,
          clientOf(session),
          response,
        );
      }),
  );
  url.searchParams.set("client_id", session.clientId);
  url.searchParams.set("request_uri", pushed.request_uri);
  return { url, lifetimeMs: pushed.expires_in * 1000 };
}

/**
 * Validates an authorization response: no tokens in it (RFC 9700 §2.1.2),
 * no repeated parameter, the state, and `iss` (RFC 9207). Throws
 * {@linkcode RefusedError} for an `error=` response and
 * {@linkcode ProviderError} for anything else that is wrong. Next:
 * {@linkcode authorizationCodeGrant} with what it returns.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.2}
 * @see {@link https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4}
 */
export function validateCallback(
  session: ProviderSession,
  params: URLSearchParams,
  expectedState: string,
): URLSearchParams {
  for (const name of ["access_token", "id_token", "token", "refresh_token"]) {
    if (params.has(name)) {
      throw new ProviderError(
        "tokens_in_callback",
        `The authorization response carries "${name}"; tokens never come through the browser, so it is refused.`,
      );
    }
  }
  for (const name of ["code", "state", "iss", "error"]) {
    if (params.getAll(name).length > 1) {
      throw new ProviderError(
        "duplicate_parameter",
        `The authorization response repeats the "${name}" parameter; it is refused.`,
      );
    }
  }
  try {
    return oauth.validateAuthResponse(
      session.metadata,
      clientOf(session),
      params,
      expectedState,
    );
  } catch (err) {
    throw toAuthctlError(err, "authorization response");
  }
}

/**
 * Exchanges an authorization code (with the PKCE verifier) for tokens, and
 * validates the answer: the ID token (signature, nonce, times), the DPoP
 * binding, and the userinfo subject. The exchange, its key set and
 * userinfo share one deadline.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.3}
 * @see {@link https://www.rfc-editor.org/rfc/rfc7636.html#section-4.5}
 */
export async function authorizationCodeGrant(
  session: ProviderSession,
  callback: URLSearchParams,
  redirectUri: string,
  codeVerifier: string,
  expectedNonce: string,
): Promise<TokenSet> {
  return await session.http.withinDeadline(() =>
    call(
      session,
      "token response",
      () =>
        withDpopNonce(session, async () => {
          const response = await oauth.authorizationCodeGrantRequest(
            session.metadata,
            clientOf(session),
            clientAuth(session),
            callback,
            redirectUri,
            codeVerifier,
            tokenRequestOptions(session),
          );
          const oidc = session.kind === "oidc";
          const result = await oauth.processAuthorizationCodeResponse(
            session.metadata,
            timedClient(session),
            response,
            oidc
              ? { expectedNonce, requireIdToken: true }
              : { expectedNonce: oauth.expectNoNonce, requireIdToken: false },
          );
          checkBound(session, result);
          return await withUserinfo(
            session,
            await tokenSetOf(session, result, oidc ? expectedNonce : null),
          );
        }),
    )
  );
}
