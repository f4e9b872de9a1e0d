/**
 * ID tokens (OpenID Connect Core §3.1.3.7): the signature against the
 * provider's published keys, with asymmetric algorithms only, and the
 * issuer of a token from a multi-tenant authority.
 *
 * @module
 */

import * as jose from "jose";
import { ProviderError } from "../errors.ts";
import type { Http } from "./http.ts";

/** ID tokens older than this (by `iat`) are refused. */
export const MAX_ID_TOKEN_AGE_S = 3600;

/** Clock tolerance for ID token and JWT time checks, in seconds. */
export const CLOCK_TOLERANCE_S = 60;

/** ID-token signing algorithms a public client accepts (never none or HS*). */
export const ASYMMETRIC_ALGS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

/**
 * A provider's JWKS, fetched with authctl's own HTTP client and handed to
 * jose as a local set. (jose's remote set arms a timer per fetch that would
 * keep a program embedding authctl alive for the whole timeout.)
 */
export class ProviderKeys {
  readonly #url: string;
  readonly #http: Http;
  readonly #cooldownMs: number;
  #local?: ReturnType<typeof jose.createLocalJWKSet>;
  #fetchedAt = -Infinity;

  constructor(url: string, http: Http, cooldownMs: number) {
    this.#url = url;
    this.#http = http;
    this.#cooldownMs = cooldownMs;
  }

  /** Fetches the set, unless it was fetched already. */
  async ready(): Promise<void> {
    if (!this.#local) await this.#load();
  }

  readonly getKey: jose.JWTVerifyGetKey = async (header, token) => {
    if (!this.#local) await this.#load();
    try {
      return await this.#local!(header, token);
    } catch (err) {
      // A key rotated since the set was fetched: fetch it again, once.
      if (
        err instanceof jose.errors.JWKSNoMatchingKey &&
        Date.now() - this.#fetchedAt >= this.#cooldownMs
      ) {
        await this.#load();
        return await this.#local!(header, token);
      }
      throw err;
    }
  };

  async #load(): Promise<void> {
    const response = await this.#http.fetch(this.#url, {
      method: "GET",
      headers: { accept: "application/json" },
    });
    if (!response.ok) {
      throw new jose.errors.JOSEError(
        `the key set at "${this.#url}" answered HTTP ${response.status}`,
      );
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch (cause) {
      throw new jose.errors.JOSEError(
        `the key set at "${this.#url}" is not JSON`,
        { cause },
      );
    }
    this.#local = jose.createLocalJWKSet(json as jose.JSONWebKeySet);
    this.#fetchedAt = Date.now();
  }
}

/**
 * Verifies a JWT against a key set; when no `kid` singles out one key and
 * several match, each is tried in turn (OpenID Connect Core §10.1).
 */
export async function verifyWithCandidates(
  jwt: string,
  keys: jose.JWTVerifyGetKey,
  options: jose.JWTVerifyOptions,
): Promise<jose.JWTVerifyResult> {
  try {
    return await jose.jwtVerify(jwt, keys, options);
  } catch (err) {
    if (!(err instanceof jose.errors.JWKSMultipleMatchingKeys)) throw err;
    let last: unknown = err;
    for await (const key of err) {
      try {
        return await jose.jwtVerify(jwt, key, options);
      } catch (candidateErr) {
        last = candidateErr;
        if (
          !(candidateErr instanceof jose.errors.JWSSignatureVerificationFailed)
        ) {
          throw candidateErr; // a valid signature with bad claims: no retry
        }
      }
    }
    throw last;
  }
}

const TENANT_ID =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The issuer of a token from a multi-tenant authority: the template with
 * the token's own `tid`, which must be a tenant ID (a GUID).
 */
export function tenantIssuer(template: string, tid: unknown): string {
  if (typeof tid !== "string" || !TENANT_ID.test(tid)) {
    throw new ProviderError(
      "invalid_id_token",
      `The ID token carries no valid tenant ("tid"), so its issuer cannot be checked against "${template}".`,
    );
  }
  return template.replace("{tenantid}", tid);
}
