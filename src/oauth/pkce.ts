/**
 * PKCE (RFC 7636) and the random values of an authorization request.
 *
 * @module
 */

import * as oauth from "oauth4webapi";

/** A fresh PKCE verifier (32 random bytes) and its S256 challenge. */
export async function createPkce(): Promise<
  { verifier: string; challenge: string }
> {
  const verifier = oauth.generateRandomCodeVerifier();
  return {
    verifier,
    challenge: await oauth.calculatePKCECodeChallenge(verifier),
  };
}

/** A fresh random value for `state` or `nonce`. */
export function randomToken(): string {
  return oauth.generateRandomState();
}
