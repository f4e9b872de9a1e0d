/**
 * The server side: verifying an ID token that a CLI minted for its own
 * public client and presents to a backend (`authctl token --id-token`).
 *
 * A backend that accepts such tokens must check what the CLI checked, with
 * its own allow-list of client IDs in place of the CLI's one: the signature
 * against the issuer's published keys (from discovery; cached, fetched again
 * for an unknown `kid`), the algorithm (asymmetric only), `iss` exactly,
 * `aud` in the allow-list (and `azp` when there are several audiences), and
 * `exp`, `iat` and `nbf` within a small clock tolerance.
 *
 * @module
 */

import * as jose from "jose";
import { NotLoggedInError } from "../errors.ts";
import type { NetworkOptions } from "./http.ts";
import { discover } from "./discovery.ts";
import { idTokenAlgorithms, keySet } from "./id_token.ts";
import { CLOCK_TOLERANCE_S, verifyWithCandidates } from "./keys.ts";
import type { ProviderSession } from "./session.ts";

/** Options of {@linkcode verifyCliIdToken}. */
export interface VerifyCliIdTokenOptions {
  /** The issuer, exactly as in its discovery document. */
  issuer: string;
  /** Client IDs whose ID tokens are accepted (the CLIs' public clients). */
  audiences: string[];
  /** Tolerated clock difference, in seconds (default 60). */
  clockToleranceSeconds?: number;
  /** The current time in milliseconds (default `Date.now`); for tests. */
  now?: () => number;
  /** Timeout, CA bundle and debug trace for discovery and the key set. */
  network?: NetworkOptions;
  /** Cancels discovery and key fetches. */
  signal?: AbortSignal;
}

/** Standard JWT claims (jose's `JWTPayload`). */
export type JwtClaims = jose.JWTPayload;

/** The verified claims of an ID token. */
export type CliIdTokenClaims = JwtClaims & {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
};

/** An ID token was refused; `reason` says why, in a few words. Exit 4. */
export class IdTokenRejectedError extends NotLoggedInError {
  /** Why, e.g. "expired", "audience not allowed", "bad signature". */
  readonly reason: string;
  /** A refusal for `reason`. */
  constructor(reason: string, options?: { cause?: unknown }) {
    super("id_token_rejected", `The ID token was refused: ${reason}.`, options);
    this.reason = reason;
  }
}

/** Largest token considered at all. */
const MAX_TOKEN_LENGTH = 16 * 1024;

/**
 * Makes a verifier bound to one issuer and allow-list: discovery and the key
 * set are fetched on first use and kept (a failed discovery is tried again
 * on the next call). Keys are fetched again for an unknown `kid`, at most
 * every 30 seconds, so forged `kid`s cannot make it hammer the provider.
 */
export function createCliIdTokenVerifier(
  options: VerifyCliIdTokenOptions,
): (token: string) => Promise<CliIdTokenClaims> {
  if (!options.audiences.length) {
    throw new TypeError("verifyCliIdToken: give at least one audience");
  }
  let provider: Promise<ProviderSession> | undefined;
  return async (token) => {
    provider ??= discover({
      issuer: options.issuer,
      clientId: options.audiences[0],
      network: options.network,
      signal: options.signal,
      // A server: forged `kid`s must not make it hammer the provider.
      keyCooldownMs: 30_000,
    }).catch((err) => {
      provider = undefined;
      throw err;
    });
    return await verifyWith(await provider, token, options);
  };
}

const verifiers = new Map<
  string,
  (token: string) => Promise<CliIdTokenClaims>
>();

/**
 * Verifies `token` as an ID token for one of `options.audiences` from
 * `options.issuer`, and resolves with its claims. Throws
 * {@linkcode IdTokenRejectedError} (exit 4) with the reason when it is not
 * acceptable, and a ProviderError (exit 3) when the issuer cannot be
 * reached. Discovery and keys are cached per issuer and allow-list.
 */
export function verifyCliIdToken(
  token: string,
  options: VerifyCliIdTokenOptions,
): Promise<CliIdTokenClaims> {
  const key = JSON.stringify([
    options.issuer,
    [...options.audiences].sort(),
    options.clockToleranceSeconds,
    options.network?.timeoutMs,
    options.network?.caFile,
  ]);
  let verify = verifiers.get(key);
  if (!verify || options.now || options.signal) {
    verify = createCliIdTokenVerifier(options);
    if (!options.now && !options.signal) verifiers.set(key, verify);
  }
  return verify(token);
}

async function verifyWith(
  provider: ProviderSession,
  token: string,
  options: VerifyCliIdTokenOptions,
): Promise<CliIdTokenClaims> {
  if (
    typeof token !== "string" || token.length > MAX_TOKEN_LENGTH ||
    !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)
  ) {
    throw new IdTokenRejectedError("not a signed JWT");
  }
  const tolerance = options.clockToleranceSeconds ?? CLOCK_TOLERANCE_S;
  const now = options.now?.() ?? Date.now();
  let payload: jose.JWTPayload;
  try {
    ({ payload } = await verifyWithCandidates(token, keySet(provider), {
      issuer: provider.issuer,
      audience: options.audiences,
      algorithms: idTokenAlgorithms(provider.metadata),
      clockTolerance: tolerance,
      currentDate: new Date(now),
      requiredClaims: ["sub", "iat", "exp"],
    }));
  } catch (err) {
    throw new IdTokenRejectedError(reasonOf(err), { cause: err });
  }
  if (payload.iat! * 1000 > now + tolerance * 1000) {
    throw new IdTokenRejectedError('"iat" is in the future');
  }
  const aud = payload.aud!;
  if (Array.isArray(aud) && aud.length > 1) {
    if (typeof payload.azp !== "string") {
      throw new IdTokenRejectedError('several audiences and no "azp"');
    }
    if (!options.audiences.includes(payload.azp)) {
      throw new IdTokenRejectedError(
        `authorized party "${payload.azp}" not allowed`,
      );
    }
  }
  return payload as CliIdTokenClaims;
}

function reasonOf(err: unknown): string {
  if (err instanceof jose.errors.JWTExpired) return "expired";
  if (err instanceof jose.errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case "aud":
        return "audience not allowed";
      case "iss":
        return "issued by another issuer";
      case "nbf":
        return "not yet valid";
      case "iat":
        return '"iat" is missing or invalid';
      default:
        return `claim "${err.claim}" ${err.reason}`;
    }
  }
  if (err instanceof jose.errors.JWSSignatureVerificationFailed) {
    return "bad signature";
  }
  if (err instanceof jose.errors.JWKSNoMatchingKey) {
    return "signed with a key the issuer does not publish";
  }
  if (err instanceof jose.errors.JOSEAlgNotAllowed) {
    return "signature algorithm not allowed";
  }
  if (
    err instanceof jose.errors.JWSInvalid ||
    err instanceof jose.errors.JWTInvalid
  ) {
    return "malformed token";
  }
  if (err instanceof jose.errors.JOSEError) return err.message;
  throw err;
}
