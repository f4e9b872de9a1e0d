/**
 * DPoP keys (RFC 9449): generated with WebCrypto for an algorithm the
 * provider supports (ES256 preferred), stored as JWKs with the credentials,
 * and turned back into an oauth4webapi DPoP handle, which signs every proof.
 *
 * @module
 */

import * as jose from "jose";
import * as oauth from "oauth4webapi";
import { ProviderError } from "../errors.ts";
import type { DpopKey } from "../store/types.ts";

/** Algorithms authctl signs proofs with, in order of preference. */
const PREFERRED = ["ES256", "EdDSA", "ES384", "PS256", "RS256"] as const;

/** The WebCrypto import parameters of each algorithm. */
const IMPORT: Record<
  string,
  EcKeyImportParams | RsaHashedImportParams | Algorithm
> = {
  ES256: { name: "ECDSA", namedCurve: "P-256" },
  ES384: { name: "ECDSA", namedCurve: "P-384" },
  EdDSA: { name: "Ed25519" },
  PS256: { name: "RSA-PSS", hash: "SHA-256" },
  RS256: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
};

/** The algorithm to use among those the provider lists. */
export function chooseDpopAlg(supported: readonly string[]): string {
  const alg = PREFERRED.find((a) => supported.includes(a));
  if (!alg) {
    throw new ProviderError(
      "dpop_alg_unsupported",
      `The provider's algorithms for DPoP (${
        supported.join(", ")
      }) include none authctl signs with (${PREFERRED.join(", ")}).`,
    );
  }
  return alg;
}

/** A fresh key pair for `alg`, kept as JWKs. */
export async function generateDpopKey(alg: string): Promise<DpopKey> {
  const pair = await oauth.generateKeyPair(alg, { extractable: true });
  const privateJwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  const publicJwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const handle = oauth.DPoP({}, pair);
  return {
    alg,
    privateJwk,
    publicJwk,
    jkt: await handle.calculateThumbprint(),
  };
}

/** The stored key as a key pair again (the private key not extractable). */
export async function importDpopKey(key: DpopKey): Promise<CryptoKeyPair> {
  const params = IMPORT[key.alg];
  if (!params) {
    throw new ProviderError(
      "dpop_alg_unsupported",
      `The stored key for DPoP uses "${key.alg}", which authctl cannot use. Log in again.`,
    );
  }
  return {
    privateKey: await crypto.subtle.importKey(
      "jwk",
      key.privateJwk,
      params,
      false,
      ["sign"],
    ),
    publicKey: await crypto.subtle.importKey(
      "jwk",
      key.publicJwk,
      params,
      true,
      ["verify"],
    ),
  };
}

/**
 * One DPoP proof (RFC 9449 §4) for a request of `method` to `url` carrying
 * `accessToken` (its hash goes in the proof's `ath`). oauth4webapi signs it;
 * the request it would send is captured instead, so nothing goes out.
 */
export async function dpopProof(
  key: DpopKey,
  method: string,
  url: URL,
  accessToken: string,
): Promise<string> {
  const handle = oauth.DPoP({}, await importDpopKey(key));
  let proof: string | null = null;
  await oauth.protectedResourceRequest(
    accessToken,
    method,
    url,
    new Headers(),
    null,
    {
      DPoP: handle,
      [oauth.allowInsecureRequests]: true,
      [oauth.customFetch]: (_url, init) => {
        proof = new Headers(init.headers).get("dpop");
        return Promise.resolve(new Response(null, { status: 204 }));
      },
    },
  );
  if (!proof) {
    throw new ProviderError("dpop_proof", "No proof for DPoP was produced.");
  }
  return proof;
}

/**
 * A DPoP proof for a request that carries no access token (RFC 9449 §4.2:
 * `jti`, `htm`, `htu`, `iat`, no `ath`), for the revocation endpoint, where
 * oauth4webapi adds none. jose signs it with the stored key.
 */
export async function dpopProofWithoutToken(
  key: DpopKey,
  method: string,
  url: URL,
): Promise<string> {
  const { privateKey } = await importDpopKey(key);
  const { kty, crv, x, y, n, e } = key.publicJwk;
  const jwk = Object.fromEntries(
    Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined),
  );
  return await new jose.SignJWT({
    htm: method,
    htu: `${url.origin}${url.pathname}`,
    jti: crypto.randomUUID(),
  })
    .setProtectedHeader({ alg: key.alg, typ: "dpop+jwt", jwk })
    .setIssuedAt()
    .sign(privateKey);
}
