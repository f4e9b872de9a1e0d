/**
 * The immutable session every protocol step works over: one authorization
 * server (its metadata and kind), one client, one HTTP client, and the DPoP
 * key when tokens are bound to one. A step never changes a session; binding
 * another client or a DPoP key makes a new one ({@linkcode withClient},
 * {@linkcode withDpop}).
 *
 * Also here: what every step does the same way (client authentication,
 * request options, the DPoP nonce retry, error mapping and the provider's
 * clock).
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import * as jose from "jose";
import {
  ErrorCode,
  ProviderError,
  stripControl,
  UsageError,
} from "../errors.ts";
import type { ProviderSettings } from "../config/provider_settings.ts";
import { type Preset, presetOf } from "../config/presets.ts";
import type { DpopKey, IdentityClaims } from "../store/types.ts";
import { tokenEndpointFetch } from "./dialect.ts";
import { toAuthctlError } from "./failure.ts";
import type { Http } from "./http.ts";
import { CLOCK_TOLERANCE_S, ProviderKeys, tenantIssuer } from "./keys.ts";
import { clientAuthMethod, resourceParams } from "./policy.ts";
import { httpOptions, type RequestOptions } from "./request.ts";

/**
 * oauth4webapi's hook for an issuer that differs per token (Entra's
 * multi-tenant template); exported at run time, not in its types.
 */
const EXPECTED_ISSUER =
  (oauth as unknown as { _expectedIssuer: symbol })._expectedIssuer;

/** Tokens from a successful grant, with the validated ID token's claims. */
export interface TokenSet {
  accessToken: string;
  tokenType: string;
  /** Lifetime in seconds, when the provider said. */
  expiresIn?: number;
  refreshToken?: string;
  idToken?: string;
  /** Granted scope, when the provider said. */
  scope?: string;
  identity?: IdentityClaims;
}

/** The DPoP binding of a session (RFC 9449): the key and its handle. */
export interface DpopBinding {
  readonly key: DpopKey;
  readonly handle: oauth.DPoPHandle;
}

/** One authorization server and one client, as every protocol step uses them. */
export interface ProviderSession {
  /** The configured issuer: the profile's identity. */
  readonly issuer: string;
  /** The client ID the requests carry. */
  readonly clientId: string;
  /**
   * The server's metadata, as oauth4webapi checks answers against it (with
   * Entra's per-tenant issuer hook when {@linkcode issuerTemplate} is set).
   */
  readonly metadata: oauth.AuthorizationServer;
  /** OpenID Connect (ID tokens) or plain OAuth 2.0. */
  readonly kind: "oidc" | "oauth2";
  /** The profile's provider settings (endpoints, client auth, resources…). */
  readonly settings: ProviderSettings;
  /** What the provider kind or known provider presets. */
  readonly preset: Preset;
  /** The HTTP client: timeout, deadline, CA bundle, trace, the Date header. */
  readonly http: Http;
  /** Cancels every request (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** `…/{tenantid}/v2.0` for Entra's multi-tenant authorities. */
  readonly issuerTemplate?: string;
  /** The ID-token signing keys (cached across the session's copies). */
  readonly keys?: ProviderKeys;
  /** The DPoP key the tokens are bound to, when they are. */
  readonly dpop?: DpopBinding;
  /** The key that signs the client's assertions (`private_key_jwt`). */
  readonly clientKey?: oauth.PrivateKey;
}

/** What {@linkcode createSession} needs: the outcome of discovery. */
export interface SessionInit {
  issuer: string;
  clientId: string;
  /** The metadata as discovered (or derived from the settings). */
  metadata: oauth.AuthorizationServer;
  kind: "oidc" | "oauth2";
  settings?: ProviderSettings;
  http: Http;
  signal?: AbortSignal;
  issuerTemplate?: string;
  /**
   * How long after fetching the key set a `kid` it lacks fetches it again:
   * 0 for a CLI that makes one login; a server waits longer, so forged
   * `kid`s cannot make it hammer the provider.
   */
  keyCooldownMs?: number;
}

/**
 * A session over discovered (or configured) metadata.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8414.html#section-2}
 */
export function createSession(init: SessionInit): ProviderSession {
  const template = init.issuerTemplate;
  const metadata = template
    ? {
      ...init.metadata,
      issuer: init.issuer,
      // Each ID token's issuer: the template with its own tenant.
      [EXPECTED_ISSUER]: (result: { claims: Record<string, unknown> }) =>
        tenantIssuer(template, result.claims.tid),
    }
    : init.metadata;
  const settings = init.settings ?? {};
  return Object.freeze({
    issuer: init.issuer,
    clientId: init.clientId,
    metadata,
    kind: init.kind,
    settings,
    preset: presetOf(settings.provider),
    http: init.http,
    signal: init.signal,
    issuerTemplate: template,
    keys: init.metadata.jwks_uri
      ? new ProviderKeys(
        init.metadata.jwks_uri,
        init.http,
        init.keyCooldownMs ?? 0,
      )
      : undefined,
  });
}

/**
 * The same server, bound to another client: the one a login chose when
 * none was configured (registered, or a metadata document's URL).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7591.html#section-3.2.1}
 */
export function withClient(
  session: ProviderSession,
  clientId: string,
): ProviderSession {
  return Object.freeze({ ...session, clientId });
}

/**
 * The session with its tokens bound to a DPoP key (RFC 9449): `existing`
 * (the key stored with bound tokens, for a refresh or a logout), else a new
 * one when the profile's `dpop` asks for it. `always` where the provider
 * has no DPoP fails here, before anyone is asked to approve. Without DPoP,
 * the session as it is.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-4}
 */
export async function withDpop(
  session: ProviderSession,
  existing?: DpopKey,
): Promise<ProviderSession> {
  const { importDpopKey, generateDpopKey, chooseDpopAlg } = await import(
    "./dpop.ts"
  );
  let key = existing;
  if (!key) {
    const mode = session.settings.dpop ?? "never";
    const supported = session.metadata.dpop_signing_alg_values_supported;
    if (mode === "never" || (mode === "auto" && !supported?.length)) {
      return session;
    }
    if (!supported?.length) {
      throw new UsageError(
        "dpop_unsupported",
        `dpop = "always", but the provider "${session.issuer}" does not support DPoP (its metadata lists no dpop_signing_alg_values_supported). Set dpop to "auto" or "never".`,
      );
    }
    key = await generateDpopKey(chooseDpopAlg(supported));
  }
  const handle = oauth.DPoP(clientOf(session), await importDpopKey(key));
  return Object.freeze({ ...session, dpop: { key, handle } });
}

/**
 * The session with the client's signing key loaded, when the client
 * authenticates with `private_key_jwt`: a PKCS #8 PEM or a JWK file, named by
 * `client_key_file`; else the session as it is. Call before a grant that
 * authenticates the client.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7523.html#section-2.2}
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication}
 */
export async function withClientKey(
  session: ProviderSession,
): Promise<ProviderSession> {
  const path = session.settings.clientKeyFile;
  if (clientAuthMethod(session) !== "private_key_jwt" || !path) return session;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    throw new UsageError(
      "client_key_unreadable",
      `Cannot read the client key file "${path}": ${
        (cause as Error).message
      }. Name a PEM (PKCS #8) or JWK file with AUTHCTL_CLIENT_KEY_FILE or client_key_file.`,
      { cause },
    );
  }
  const clientKey = await importClientKey(text, path);
  return Object.freeze({ ...session, clientKey });
}

/** A private key from a PKCS #8 PEM or a JWK (its `kid` kept). */
async function importClientKey(
  text: string,
  path: string,
): Promise<oauth.PrivateKey> {
  const invalid = (cause?: unknown) =>
    new UsageError(
      "client_key_invalid",
      `The client key file "${path}" holds no private key authctl can use: give an RSA, EC (P-256, P-384) or Ed25519 key as PKCS #8 PEM ("-----BEGIN PRIVATE KEY-----") or as a JWK with its "d".`,
      { cause },
    );
  if (text.trimStart().startsWith("{")) {
    let jwk: jose.JWK;
    try {
      jwk = JSON.parse(text);
    } catch (cause) {
      throw invalid(cause);
    }
    if (!jwk.d) throw invalid();
    const alg = jwk.alg ?? algorithmOf(jwk.kty, jwk.crv);
    if (!alg) throw invalid();
    try {
      const key = await jose.importJWK(jwk, alg) as CryptoKey;
      return { key, kid: jwk.kid };
    } catch (cause) {
      throw invalid(cause);
    }
  }
  for (const alg of ["RS256", "ES256", "ES384", "EdDSA"]) {
    try {
      return { key: await jose.importPKCS8(text, alg) };
    } catch { /* another kind of key */ }
  }
  throw invalid();
}

/** The signing algorithm of a JWK's key type. */
function algorithmOf(kty?: string, crv?: string): string | undefined {
  if (kty === "RSA") return "RS256";
  if (kty === "EC") return crv === "P-384" ? "ES384" : "ES256";
  if (kty === "OKP") return "EdDSA";
  return undefined;
}

/**
 * The client as oauth4webapi takes it.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-2.2}
 */
export function clientOf(session: ProviderSession): oauth.Client {
  return {
    client_id: session.clientId,
    [oauth.clockTolerance]: CLOCK_TOLERANCE_S,
  };
}

/**
 * The client, with the provider's time for the checks of an answer.
 *
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation}
 */
export function timedClient(session: ProviderSession): oauth.Client {
  return {
    ...clientOf(session),
    [oauth.clockSkew]: Math.round(clockOffsetMs(session) / 1000),
  };
}

/**
 * How the client authenticates at the token endpoint, for a request of
 * `flow` (see {@linkcode clientAuthMethod}). A secret that is needed and
 * not configured is a usage error naming where it goes.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3.1}
 */
export function clientAuth(
  session: ProviderSession,
  flow?: string,
): oauth.ClientAuth {
  const method = clientAuthMethod(session, flow);
  if (method === "none") return oauth.None();
  if (method === "private_key_jwt") {
    if (!session.clientKey) {
      throw new UsageError(
        "client_key_missing",
        `client_auth = "private_key_jwt" needs the client's private key, and none is configured. Name its PEM or JWK file with AUTHCTL_CLIENT_KEY_FILE or client_key_file in the profile.`,
      );
    }
    return oauth.PrivateKeyJwt(session.clientKey);
  }
  const secret = session.settings.clientSecret;
  if (!secret) {
    throw new UsageError(
      "client_secret_missing",
      `The provider needs the client's secret (client_auth ${method}${
        session.settings.provider
          ? `, provider ${session.settings.provider}`
          : ""
      }), and none is configured. Set AUTHCTL_CLIENT_SECRET or client_secret in the profile (never a flag: other users can read a process's arguments).`,
    );
  }
  return method === "client_secret_basic"
    ? oauth.ClientSecretBasic(secret)
    : oauth.ClientSecretPost(secret);
}

/**
 * The request options of every call: authctl's HTTP client.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-3.1}
 */
export function requestOptions(session: ProviderSession): RequestOptions {
  return httpOptions(
    session.http,
    new URL(session.issuer).protocol === "http:",
  );
}

/**
 * Request options for the token endpoint: its dialects made standard, the
 * resources (RFC 8707) unless `withResources` is false, and the DPoP handle.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8707.html#section-2}
 * @see {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-5}
 */
export function tokenRequestOptions(
  session: ProviderSession,
  withResources = true,
): RequestOptions & {
  additionalParameters?: URLSearchParams;
  DPoP?: oauth.DPoPHandle;
} {
  const options = requestOptions(session);
  const params = resourceParams(session.settings);
  return {
    ...options,
    [oauth.customFetch]: tokenEndpointFetch(options[oauth.customFetch]),
    ...(withResources && params.size ? { additionalParameters: params } : {}),
    ...(session.dpop ? { DPoP: session.dpop.handle } : {}),
  };
}

/**
 * Runs a DPoP-protected exchange; when the provider answers with a
 * `use_dpop_nonce` challenge, once more with its nonce (RFC 9449 §8).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-8}
 */
export async function withDpopNonce<T>(
  session: ProviderSession,
  exchange: () => Promise<T>,
): Promise<T> {
  try {
    return await exchange();
  } catch (err) {
    if (session.dpop && oauth.isDPoPNonceError(err)) return await exchange();
    throw err;
  }
}

/**
 * A token issued after DPoP was asked for must be DPoP-bound.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-5}
 */
export function checkBound(
  session: ProviderSession,
  result: oauth.TokenEndpointResponse,
): void {
  if (session.dpop && result.token_type !== "dpop") {
    throw new ProviderError(
      "dpop_not_bound",
      `DPoP was asked for, but the provider issued a "${
        stripControl(String(result.token_type))
      }" token; it is not used (a bound login never falls back to Bearer).`,
    );
  }
}

/**
 * Runs one request of a step; its failure as an AuthctlError (`what`: the
 * answer it was waiting for), a clock off the provider's said plainly.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-5.2}
 */
export async function call<T>(
  session: ProviderSession,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw skewError(session, err) ??
      toAuthctlError(err, what, session.signal);
  }
}

/** Clock offsets beyond a day are not corrected: the Date header is not believed. */
export const MAX_CLOCK_CORRECTION_MS = 24 * 3600_000;

/** Offsets under this are left alone (the Date header's own rounding). */
const MIN_CLOCK_CORRECTION_MS = 5_000;

/**
 * The provider's time minus this machine's, in milliseconds, from the
 * `Date` header of its last answer, when that is within
 * {@linkcode MAX_CLOCK_CORRECTION_MS}; else 0 (not believed).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110.html#section-6.6.1}
 */
export function clockOffsetMs(session: ProviderSession): number {
  const skew = session.http.skewMs ?? 0;
  // A Date header counts whole seconds: a few seconds apart is noise.
  return Math.abs(skew) <= MAX_CLOCK_CORRECTION_MS &&
      Math.abs(skew) >= MIN_CLOCK_CORRECTION_MS
    ? skew
    : 0;
}

/**
 * One line for the person when this machine's clock is more than a minute
 * off the provider's (and the provider's time was used), else undefined.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110.html#section-6.6.1}
 */
export function clockNote(session: ProviderSession): string | undefined {
  const skew = clockOffsetMs(session);
  if (Math.abs(skew) <= CLOCK_TOLERANCE_S * 1000) return undefined;
  return `This computer's clock is ${Math.round(Math.abs(skew) / 1000)} s ${
    skew > 0 ? "behind" : "ahead of"
  } the provider's; its tokens were checked against the provider's time. Set the system clock right (enable NTP).`;
}

/**
 * Whether `err` is a failed time check (exp, iat, nbf).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7519.html#section-4.1.4}
 */
export function isTimeCheck(err: unknown): boolean {
  return err instanceof jose.errors.JWTExpired ||
    (err instanceof jose.errors.JWTClaimValidationFailed &&
      ["iat", "nbf", "exp"].includes(err.claim)) ||
    (err instanceof oauth.OperationProcessingError &&
      err.code === oauth.JWT_TIMESTAMP_CHECK);
}

/**
 * When a time check failed and the provider's clock (from its Date header)
 * differs from ours beyond the tolerance, says so plainly.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7519.html#section-4.1.4}
 */
export function skewError(
  session: ProviderSession,
  err: unknown,
): ProviderError | undefined {
  const skew = session.http.skewMs;
  if (!isTimeCheck(err) || skew === undefined) return undefined;
  if (Math.abs(skew) <= CLOCK_TOLERANCE_S * 1000) return undefined;
  const seconds = Math.round(Math.abs(skew) / 1000);
  return new ProviderError(
    ErrorCode.clockSkew,
    `This computer's clock is ${seconds} s ${
      skew > 0 ? "behind" : "ahead of"
    } the provider's (more than the ${CLOCK_TOLERANCE_S} s tolerated), so its tokens look ${
      skew > 0 ? "not yet valid" : "expired"
    }. Set the system clock right (enable NTP) and try again.`,
    { cause: err },
  );
}
