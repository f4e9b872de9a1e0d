/**
 * ID tokens (OpenID Connect Core §3.1.3.7): their signature against the
 * provider's published keys, asymmetric algorithms only, the audience and
 * authorized party, the nonce, and the times checked against the
 * provider's clock; and the tokens of a token response with it verified.
 *
 * @module
 */

import type * as oauth from "oauth4webapi";
import * as jose from "jose";
import { AuthctlError, ProviderError, stripControl } from "../errors.ts";
import type { IdentityClaims } from "../store/types.ts";
import { identityFrom } from "../store/identity.ts";
import { toAuthctlError } from "./failure.ts";
import {
  ASYMMETRIC_ALGS,
  CLOCK_TOLERANCE_S,
  MAX_ID_TOKEN_AGE_S,
  tenantIssuer,
  verifyWithCandidates,
} from "./keys.ts";
import {
  clockOffsetMs,
  type ProviderSession,
  skewError,
  type TokenSet,
} from "./session.ts";

/**
 * The provider's signing keys from its `jwks_uri`, fetched through the
 * session's HTTP client (timeout, no redirects, size cap) and cached with
 * the session. A `kid` not in the cached set fetches it again, at most once
 * per verification and once per the session's key cooldown.
 *
 * Throws when the provider publishes no `jwks_uri`.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7517.html#section-5}
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys}
 */
export function keySet(session: ProviderSession): jose.JWTVerifyGetKey {
  if (!session.keys) {
    throw new ProviderError(
      "no_jwks_uri",
      `The provider "${session.issuer}" publishes no jwks_uri, so its ID token signature cannot be verified.`,
    );
  }
  return session.keys.getKey;
}

/**
 * Fetches the provider's keys now (OpenID Connect with a `jwks_uri`), so a
 * refresh whose answer must be verified does not depend on reaching them
 * after the provider has retired the old refresh token. Call before
 * {@linkcode refreshTokenGrant}.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7517.html#section-5}
 */
export async function loadKeys(session: ProviderSession): Promise<void> {
  if (session.kind !== "oidc" || !session.keys) return;
  try {
    await session.keys.ready();
  } catch (err) {
    if (err instanceof AuthctlError) throw err;
    // A timeout or a network failure, said as for any request; the key
    // set's own complaint (its status, not JSON) as it is.
    const why = err instanceof jose.errors.JOSEError
      ? stripControl(err.message)
      : toAuthctlError(err, "key set", session.signal).message;
    throw new ProviderError(
      "keys_unavailable",
      `Cannot get the provider's signing keys: ${
        why.replace(/\.$/, "")
      }. Nothing was sent to the provider, so the stored tokens are intact; try again later.`,
      { cause: err },
    );
  }
}

/**
 * The ID-token signature algorithms accepted: those the provider
 * advertises that are asymmetric (never `none`, never HS*: a public client
 * has no secret), or RS256 when it advertises none.
 *
 * @see {@link https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata}
 * @see {@link https://www.rfc-editor.org/rfc/rfc8725.html#section-3.1}
 */
export function idTokenAlgorithms(
  metadata: oauth.AuthorizationServer,
): string[] {
  const advertised = metadata.id_token_signing_alg_values_supported;
  return advertised
    ? advertised.filter((alg) => ASYMMETRIC_ALGS.includes(alg))
    : ["RS256"];
}

/**
 * Verifies an ID token (OpenID Connect Core §3.1.3.7) and returns who it
 * names. `nonce`: the one sent (compared by oauth4webapi already), `null`
 * when none was sent (then none may come back: the device flow), or `"any"`
 * for a refresh.
 *
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation}
 */
export async function verifyIdToken(
  session: ProviderSession,
  idToken: string,
  nonce: string | null | "any",
): Promise<IdentityClaims> {
  // An unknown `kid` (a rotated key) fetches the set again once.
  const keys = keySet(session);
  const algorithms = idTokenAlgorithms(session.metadata);
  try {
    // Entra's multi-tenant issuer: the template with the token's tenant.
    const issuer = session.issuerTemplate
      ? tenantIssuer(session.issuerTemplate, jose.decodeJwt(idToken).tid)
      : session.issuer;
    const { payload } = await verifyWithCandidates(idToken, keys, {
      issuer,
      audience: session.clientId,
      algorithms,
      clockTolerance: CLOCK_TOLERANCE_S,
      // The provider's time, as its Date header says (within bounds).
      currentDate: new Date(Date.now() + clockOffsetMs(session)),
      maxTokenAge: MAX_ID_TOKEN_AGE_S,
      requiredClaims: ["sub", "iat", "exp"],
    });
    // Several audiences: the authorized party must be this client.
    if (
      Array.isArray(payload.aud) && payload.aud.length > 1 &&
      payload.azp !== session.clientId
    ) {
      throw new Error(`"azp" is not the client ID (several audiences)`);
    }
    // A nonce that was sent is compared by oauth4webapi (`expectedNonce`
    // in the code exchange); one that comes back although none was sent
    // (the device flow) only here.
    if (nonce === null && payload.nonce !== undefined) {
      throw new Error(`unexpected "nonce": none was sent`);
    }
    return identityFrom(payload, session.issuerTemplate !== undefined);
  } catch (err) {
    // The keys out of reach (a timeout, the network) is not a bad token.
    if (
      err instanceof TypeError ||
      (err instanceof DOMException && err.name === "TimeoutError")
    ) {
      throw toAuthctlError(err, "key set", session.signal);
    }
    throw skewError(session, err) ?? new ProviderError(
      "invalid_id_token",
      `The ID token from "${session.issuer}" failed verification: ${
        stripControl((err as Error).message).replace(/\.$/, "")
      }.`,
      { cause: err },
    );
  }
}

/**
 * The tokens of a processed token response, with the ID token verified
 * (see {@linkcode verifyIdToken} for `nonce`). Plain OAuth 2.0 has no ID
 * token: one that comes anyway is not verifiable (no keys) and not kept.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-5.1}
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#TokenResponse}
 */
export async function tokenSetOf(
  session: ProviderSession,
  result: oauth.TokenEndpointResponse,
  nonce: string | null | "any",
): Promise<TokenSet> {
  const idToken = session.kind === "oidc" ? result.id_token : undefined;
  const set: TokenSet = {
    accessToken: result.access_token,
    tokenType: result.token_type,
    expiresIn: result.expires_in,
    refreshToken: result.refresh_token,
    idToken,
    scope: result.scope,
  };
  if (idToken) set.identity = await verifyIdToken(session, idToken, nonce);
  return set;
}
