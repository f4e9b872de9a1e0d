/**
 * What is done with tokens after the login: the refresh token grant
 * (RFC 6749 §6), with its same-subject and same-tenant checks, and
 * revocation (RFC 7009).
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import * as jose from "jose";
import {
  AuthctlError,
  ErrorCode,
  NotLoggedInError,
  ProviderError,
  stripControl,
} from "../errors.ts";
import { descriptionOf, toAuthctlError } from "./failure.ts";
import { tokenSetOf } from "./id_token.ts";
import {
  call,
  checkBound,
  clientAuth,
  clientOf,
  isTimeCheck,
  type ProviderSession,
  requestOptions,
  skewError,
  timedClient,
  tokenRequestOptions,
  type TokenSet,
  withDpopNonce,
} from "./session.ts";
import { withUserinfo } from "./userinfo.ts";

/** Who the refreshed tokens must name, and which flow obtained them. */
export interface RefreshExpectations {
  /** The subject of the stored ID token. */
  sub?: string;
  /** Entra: the tenant of the stored ID token. */
  tid?: string;
  /** The flow that obtained the tokens (its client authentication). */
  flow?: string;
}

/**
 * A refresh whose answer came, but could not be checked for a reason of
 * this machine's (its clock, the key set out of reach): the rotated refresh
 * token it carries must be kept, or the grant is lost.
 */
export class RefreshUnverifiedError extends ProviderError {
  /** The new refresh token the provider issued. */
  readonly refreshToken: string;
  /** The error, with the rotated refresh token it carries. */
  constructor(message: string, refreshToken: string, cause: unknown) {
    super(ErrorCode.refreshUnverified, message, { cause });
    this.refreshToken = refreshToken;
  }
}

/**
 * Refreshes tokens. The ID token, when one comes back, is verified like the
 * first one and must name the same subject (and, for Entra, tenant).
 * `invalid_grant` is a {@linkcode NotLoggedInError}
 * (`ErrorCode.refreshRejected`); `invalid_client` a `client_rejected`
 * error; an answer that came but could not be checked here a
 * {@linkcode RefreshUnverifiedError} that keeps the rotated refresh token.
 * Call {@linkcode loadKeys} first, so the keys are at hand once the old
 * refresh token is spent.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-6}
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse}
 */
export async function refreshTokenGrant(
  session: ProviderSession,
  refreshToken: string,
  expected: RefreshExpectations = {},
): Promise<TokenSet> {
  let result: oauth.TokenEndpointResponse;
  // The answer as received: its rotated refresh token is kept even when
  // the rest cannot be checked for a reason of this machine's (its clock).
  let answer: Record<string, unknown> | undefined;
  try {
    result = await withDpopNonce(session, async () => {
      const response = await oauth.refreshTokenGrantRequest(
        session.metadata,
        clientOf(session),
        clientAuth(session, expected.flow),
        refreshToken,
        tokenRequestOptions(session),
      );
      const copy = response.clone();
      try {
        return await oauth.processRefreshTokenResponse(
          session.metadata,
          timedClient(session),
          response,
        );
      } catch (err) {
        answer = await copy.json().catch(() => undefined);
        throw err;
      }
    });
    checkBound(session, result);
  } catch (err) {
    if (
      err instanceof oauth.ResponseBodyError && err.error === "invalid_grant"
    ) {
      throw new NotLoggedInError(
        ErrorCode.refreshRejected,
        `The provider no longer accepts the refresh token (invalid_grant)${
          descriptionOf(err)
        }.`,
        { cause: err },
      );
    }
    if (
      err instanceof oauth.ResponseBodyError && err.error === "invalid_client"
    ) {
      // The client itself is unknown now (a registration the server
      // forgot, or a client its admin removed).
      throw new ProviderError(
        ErrorCode.clientRejected,
        `The provider no longer accepts client "${session.clientId}" (invalid_client)${
          descriptionOf(err)
        }.`,
        { cause: err },
      );
    }
    throw keptOrNot(
      skewError(session, err) ??
        toAuthctlError(err, "refresh response", session.signal),
      err,
      answer,
    );
  }
  let tokens: TokenSet;
  try {
    tokens = session.kind === "oidc"
      ? await tokenSetOf(session, result, "any")
      : await withUserinfo(session, await tokenSetOf(session, result, null));
  } catch (err) {
    throw keptOrNot(
      err instanceof AuthctlError
        ? err
        : toAuthctlError(err, "refresh response", session.signal),
      err,
      result as unknown as Record<string, unknown>,
    );
  }
  checkSameUser(tokens, expected);
  return tokens;
}

/** The refreshed ID token must name the user (and tenant) of the first. */
function checkSameUser(tokens: TokenSet, expected: RefreshExpectations) {
  if (
    tokens.identity && expected.sub !== undefined &&
    tokens.identity.sub !== expected.sub
  ) {
    throw new ProviderError(
      "subject_changed",
      `The ID token from the refresh names another user ("${
        stripControl(tokens.identity.sub)
      }", not "${stripControl(expected.sub)}"); it is not used.`,
    );
  }
  // Entra: the same user in the same tenant.
  if (
    tokens.identity?.tid !== undefined && expected.tid !== undefined &&
    tokens.identity.tid !== expected.tid
  ) {
    throw new ProviderError(
      "tenant_changed",
      `The ID token from the refresh names another tenant ("${
        stripControl(tokens.identity.tid)
      }", not "${stripControl(expected.tid)}"); it is not used.`,
    );
  }
}

/**
 * Revokes a token. A 200 answer is success, also for a token the provider
 * no longer knows. A DPoP-bound token is revoked with a proof of its key.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7009.html#section-2}
 */
export async function revocationRequest(
  session: ProviderSession,
  token: string,
  hint: "refresh_token" | "access_token",
): Promise<void> {
  await call(session, "revocation response", async () => {
    // oauth4webapi adds no proof to revocation requests: it goes in as a
    // header.
    const headers: Record<string, string> = {};
    if (session.dpop && session.metadata.revocation_endpoint) {
      const { dpopProofWithoutToken } = await import("./dpop.ts");
      headers.DPoP = await dpopProofWithoutToken(
        session.dpop.key,
        "POST",
        new URL(session.metadata.revocation_endpoint),
      );
    }
    const response = await oauth.revocationRequest(
      session.metadata,
      clientOf(session),
      clientAuth(session),
      token,
      {
        ...requestOptions(session),
        headers,
        additionalParameters: { token_type_hint: hint },
      },
    );
    await oauth.processRevocationResponse(response);
  });
}

/**
 * `mapped`, or, when what failed is environmental and the answer carries a
 * new refresh token, a {@linkcode RefreshUnverifiedError} that keeps it.
 * Signature, issuer, audience and subject failures are never environmental.
 */
function keptOrNot(
  mapped: AuthctlError,
  original: unknown,
  answer: Record<string, unknown> | undefined,
): AuthctlError {
  const token = answer?.refresh_token;
  if (typeof token !== "string" || !token || !environmental(original)) {
    return mapped;
  }
  return new RefreshUnverifiedError(mapped.message, token, original);
}

/** The codes of failures that are this machine's, not the answer's. */
const ENVIRONMENTAL: readonly string[] = [
  ErrorCode.unreachable,
  ErrorCode.httpTimeout,
  ErrorCode.clockSkew,
];

/** Whether a failure is this machine's (clock, network), not the answer's. */
function environmental(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 6; depth++) {
    if (
      isTimeCheck(e) ||
      (e instanceof AuthctlError && ENVIRONMENTAL.includes(e.code)) ||
      e instanceof TypeError ||
      (e instanceof jose.errors.JOSEError &&
        /the key set at/.test((e as Error).message))
    ) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
