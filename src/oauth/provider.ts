/**
 * The provider adapter: every protocol step goes through oauth4webapi (so its
 * validation applies) and ID-token signatures are verified with jose against
 * the provider's JWKS.
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
  RefusedError,
  stripControl,
  TimeoutError,
  UsageError,
} from "../errors.ts";
import {
  DEFAULT_REDIRECT,
  parseRedirectUri,
  type ProviderSettings,
  type RedirectShape,
} from "../config/provider_settings.ts";
import { requireSecureUrl } from "../platform/secure_url.ts";
import type { DpopKey, IdentityClaims } from "../store/types.ts";
import { tokenEndpointFetch } from "./dialect.ts";
import { withStandardVerificationUri } from "./device_response.ts";
import { descriptionOf, parseRetryAfter, toAuthctlError } from "./failure.ts";
import {
  ASYMMETRIC_ALGS,
  CLOCK_TOLERANCE_S,
  MAX_ID_TOKEN_AGE_S,
  ProviderKeys,
  tenantIssuer,
  verifyWithCandidates,
} from "./id_token.ts";
import {
  checkPkceSupport,
  definedEndpoints,
  issuerMismatch,
  NO_ISSUER_CHECK,
  tenantTemplate,
} from "./metadata.ts";
import {
  clientIsKnown,
  type ClientRegistrationRequest,
  registerClient,
  type RegisteredClient,
} from "./registration.ts";
import { httpOptions, type RequestOptions } from "./request.ts";
import { identityFrom, withKnownClaims } from "../store/identity.ts";
import { DEFAULT_HTTP_TIMEOUT_MS, Http, type NetworkOptions } from "./http.ts";
import { type Preset, presetOf } from "../config/presets.ts";

export { DEFAULT_HTTP_TIMEOUT_MS } from "./http.ts";
export { parseRetryAfter, toAuthctlError } from "./failure.ts";
export {
  CLOCK_TOLERANCE_S,
  tenantIssuer,
  verifyWithCandidates,
} from "./id_token.ts";
export { createPkce, randomToken } from "./pkce.ts";

/**
 * oauth4webapi's hook for an issuer that differs per token (Entra's
 * multi-tenant template); exported at run time, not in its types.
 */
const EXPECTED_ISSUER =
  (oauth as unknown as { _expectedIssuer: symbol })._expectedIssuer;

/** Options of {@linkcode discoverProvider}. */
export interface ProviderOptions {
  /** Issuer URL, exactly as configured. */
  issuer: string;
  /** Public client ID. */
  clientId: string;
  /** Cancels every request (Ctrl-C). */
  signal?: AbortSignal;
  /** Timeouts, CA bundle, debug trace. */
  network?: NetworkOptions;
  /**
   * The provider settings: kind or known provider, endpoints (no discovery
   * when the authorization and token endpoints are given), client
   * authentication, refresh recipe, resources.
   */
  settings?: ProviderSettings;
  /**
   * The resource whose metadata (RFC 9728) named this issuer: discovery
   * then follows the MCP authorization specification's order, and the
   * metadata must list S256 among its PKCE methods.
   */
  namedByResource?: string;
}

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

/** The grant type of RFC 8628. */
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** A validated device authorization response. */
export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  /** Lifetime of the codes, in seconds (> 0). */
  expiresIn: number;
  /** Minimum seconds between polls, when the provider said. */
  interval?: number;
}

/** The outcome of one device-code poll that does not end the flow. */
export type DevicePoll =
  | { status: "tokens"; tokens: TokenSet }
  | { status: "pending" }
  | { status: "slow_down" }
  | { status: "retry"; reason: string; retryAfterMs?: number };

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

/** A discovered provider, bound to one client. */
export class Provider {
  /** The configured issuer: the profile's identity. */
  readonly issuer: string;
  readonly metadata: oauth.AuthorizationServer;
  /** OpenID Connect (ID tokens) or plain OAuth 2.0. */
  readonly kind: "oidc" | "oauth2";
  readonly #client: oauth.Client;
  readonly #options: ProviderOptions;
  readonly #settings: ProviderSettings;
  readonly #preset: Preset;
  readonly #insecure: boolean;
  readonly #httpClient: Http;
  /** `…/{tenantid}/v2.0` for Entra's multi-tenant authorities. */
  readonly #issuerTemplate?: string;
  #jwks?: ProviderKeys;
  /** The DPoP handle (RFC 9449), when tokens are bound to a key. */
  #dpop?: oauth.DPoPHandle;
  #dpopKey?: DpopKey;
  #pushedLifetimeMs?: number;
  readonly #discovered: oauth.AuthorizationServer;

  constructor(
    metadata: oauth.AuthorizationServer,
    options: ProviderOptions,
    kind: "oidc" | "oauth2",
    http: Http,
    issuerTemplate?: string,
  ) {
    this.#httpClient = http;
    this.#discovered = metadata;
    this.issuer = options.issuer;
    this.#settings = options.settings ?? {};
    this.#preset = presetOf(this.#settings.provider);
    this.#issuerTemplate = issuerTemplate;
    this.metadata = issuerTemplate
      ? {
        ...metadata,
        issuer: options.issuer,
        // Each ID token's issuer: the template with its own tenant.
        [EXPECTED_ISSUER]: (result: { claims: Record<string, unknown> }) =>
          tenantIssuer(issuerTemplate, result.claims.tid),
      }
      : metadata;
    this.kind = kind;
    this.#options = options;
    this.#insecure = new URL(options.issuer).protocol === "http:";
    this.#client = {
      client_id: options.clientId,
      [oauth.clockTolerance]: CLOCK_TOLERANCE_S,
    };
  }

  /** The client ID this provider's requests carry. */
  get clientId(): string {
    return this.#options.clientId;
  }

  /**
   * The same provider, bound to another client: the one a login chose when
   * none was configured (registered, or a metadata document's URL).
   */
  forClient(clientId: string): Provider {
    return new Provider(
      this.#discovered,
      { ...this.#options, clientId },
      this.kind,
      this.#httpClient,
      this.#issuerTemplate,
    );
  }

  /**
   * Registers a public native client (RFC 7591) at the provider's
   * `registration_endpoint`; see {@linkcode registerClient}.
   */
  async register(
    request: ClientRegistrationRequest,
  ): Promise<RegisteredClient> {
    return await registerClient(this.metadata, request, {
      ...this.#http(),
      signal: this.#options.signal,
    });
  }

  /**
   * Whether the provider still knows this client; see
   * {@linkcode clientIsKnown}.
   */
  async knowsClient(): Promise<boolean> {
    return await clientIsKnown(this.metadata, this.#client, {
      ...this.#tokenHttp(false),
      signal: this.#options.signal,
    });
  }

  /**
   * How the client authenticates at the token endpoint. `flow`: the flow
   * the request belongs to (for a refresh, the flow that obtained the
   * tokens); a flow the preset lists as public (GitHub's device flow) never
   * sends the secret, so none is needed.
   */
  #auth(flow?: string): oauth.ClientAuth {
    if (flow && this.#preset.publicFlows?.includes(flow)) return oauth.None();
    const method = this.#settings.clientAuth ?? this.#preset.clientAuth ??
      (this.#settings.clientSecret ? "client_secret_post" : "none");
    if (method === "none") return oauth.None();
    const secret = this.#settings.clientSecret;
    if (!secret) {
      throw new UsageError(
        "client_secret_missing",
        `The provider needs the client's secret (client_auth ${method}${
          this.#settings.provider ? `, provider ${this.#settings.provider}` : ""
        }), and none is configured. Set AUTHCTL_CLIENT_SECRET or client_secret in the profile (never a flag: other users can read a process's arguments).`,
      );
    }
    return method === "client_secret_basic"
      ? oauth.ClientSecretBasic(secret)
      : oauth.ClientSecretPost(secret);
  }

  /**
   * The scopes to request: `openid` for OpenID Connect, `offline_access`
   * when the profile says so (or, unset, when the metadata lists it), then
   * the configured ones.
   */
  requestedScopes(configured: readonly string[]): string[] {
    const offline = this.#settings.offlineAccess ??
      this.#preset.offlineAccess ??
      (this.metadata.scopes_supported?.includes("offline_access") ?? false);
    const out = [
      ...(this.kind === "oidc" ? ["openid"] : []),
      ...(offline ? ["offline_access"] : []),
    ];
    const wanted = configured.length
      ? configured
      : this.#preset.defaultScopes ?? [];
    for (const scope of wanted) if (!out.includes(scope)) out.push(scope);
    return out;
  }

  /**
   * The loopback redirect URI's shape: the profile's `redirect_uri`, else
   * the preset's (Entra: `http://localhost/callback`), else the default
   * `http://127.0.0.1/callback`.
   */
  get redirectShape(): RedirectShape {
    const uri = this.#settings.redirectUri ?? this.#preset.redirectUri;
    return uri ? parseRedirectUri(uri) : DEFAULT_REDIRECT;
  }

  /**
   * Binds the tokens to a DPoP key: `existing` (the key stored with bound
   * tokens, for a refresh or a logout), else a new one when the profile's
   * `dpop` asks for it. `always` where the provider has no DPoP fails here,
   * before anyone is asked to approve. Returns the key, or undefined.
   */
  async bindDpop(existing?: DpopKey): Promise<DpopKey | undefined> {
    const { importDpopKey, generateDpopKey, chooseDpopAlg } = await import(
      "./dpop.ts"
    );
    let key = existing;
    if (!key) {
      const mode = this.#settings.dpop ?? "never";
      const supported = this.metadata.dpop_signing_alg_values_supported;
      if (mode === "never" || (mode === "auto" && !supported?.length)) {
        return undefined;
      }
      if (!supported?.length) {
        throw new UsageError(
          "dpop_unsupported",
          `dpop = "always", but the provider "${this.issuer}" does not support DPoP (its metadata lists no dpop_signing_alg_values_supported). Set dpop to "auto" or "never".`,
        );
      }
      key = await generateDpopKey(chooseDpopAlg(supported));
    }
    this.#dpop = oauth.DPoP(this.#client, await importDpopKey(key));
    this.#dpopKey = key;
    return key;
  }

  /** The DPoP key the tokens are bound to, when they are. */
  get dpopKey(): DpopKey | undefined {
    return this.#dpopKey;
  }

  /**
   * Runs a DPoP-protected exchange; when the provider answers with a
   * `use_dpop_nonce` challenge, once more with its nonce (RFC 9449 §8).
   */
  async #withDpopNonce<T>(exchange: () => Promise<T>): Promise<T> {
    try {
      return await exchange();
    } catch (err) {
      if (this.#dpop && oauth.isDPoPNonceError(err)) return await exchange();
      throw err;
    }
  }

  /** A token issued after DPoP was asked for must be DPoP-bound. */
  #checkBound(result: oauth.TokenEndpointResponse): void {
    if (this.#dpop && result.token_type !== "dpop") {
      throw new ProviderError(
        "dpop_not_bound",
        `DPoP was asked for, but the provider issued a "${
          stripControl(String(result.token_type))
        }" token; it is not used (a bound login never falls back to Bearer).`,
      );
    }
  }

  /** The setting that usually brings a refresh token, for the login line. */
  get refreshHint(): string | undefined {
    return this.#preset.refreshHint;
  }

  /** The RFC 8707 resources, as request parameters. */
  #resourceParams(): URLSearchParams {
    const params = new URLSearchParams();
    for (const r of this.#settings.resources ?? []) {
      params.append("resource", r);
    }
    return params;
  }

  /**
   * Request options for the token endpoint: its dialects made standard, and
   * the resources (RFC 8707) unless `withResources` is false.
   */
  #tokenHttp(
    withResources = true,
  ): RequestOptions & { additionalParameters?: URLSearchParams } {
    const options = this.#http();
    const params = this.#resourceParams();
    return {
      ...options,
      [oauth.customFetch]: tokenEndpointFetch(options[oauth.customFetch]),
      ...(withResources && params.size ? { additionalParameters: params } : {}),
      ...(this.#dpop ? { DPoP: this.#dpop } : {}),
    };
  }

  /** Whether the provider sends `iss` in authorization responses (RFC 9207). */
  get sendsIss(): boolean {
    return this.metadata.authorization_response_iss_parameter_supported ===
      true;
  }

  /**
   * Whether authorization requests are pushed (RFC 9126): when the profile
   * says `par = true`, or the provider's metadata requires it.
   */
  get pushesAuthorizationRequests(): boolean {
    return this.#settings.par ??
      this.metadata.require_pushed_authorization_requests === true;
  }

  /**
   * Builds the authorization URL (PKCE S256, state, nonce). With pushed
   * authorization requests (RFC 9126) the parameters go to the provider
   * first, and the URL carries only `client_id` and `request_uri`, so
   * nothing of the request shows in the browser's address bar or history.
   */
  async authorizationUrl(request: AuthorizationRequest): Promise<URL> {
    const endpoint = this.metadata.authorization_endpoint;
    if (!endpoint) {
      throw new ProviderError(
        "no_authorization_endpoint",
        `The provider "${this.issuer}" has no authorization endpoint in its metadata, so a browser login is impossible.`,
      );
    }
    const params = new URLSearchParams();
    params.set("response_type", "code");
    params.set("client_id", this.#options.clientId);
    params.set("redirect_uri", request.redirectUri);
    params.set("scope", this.requestedScopes(request.scopes).join(" "));
    params.set("state", request.state);
    if (this.kind === "oidc") params.set("nonce", request.nonce);
    params.set("code_challenge", request.codeChallenge);
    params.set("code_challenge_method", "S256");
    // Never forced: `prompt` only when the profile sets it (Entra answers
    // prompt=consent with AADSTS90094 where users may not consent).
    if (this.#settings.prompt) params.set("prompt", this.#settings.prompt);
    if (request.audience) params.set("audience", request.audience);
    for (const [k, v] of this.#resourceParams()) params.append(k, v);
    const extra = { ...this.#preset.authParams, ...this.#settings.authParams };
    for (const [k, v] of Object.entries(extra)) params.set(k, v);
    // The code is bound to the DPoP key too (RFC 9449 §10).
    if (this.#dpop) {
      params.set("dpop_jkt", await this.#dpop.calculateThumbprint());
    }
    const url = new URL(endpoint);
    if (!this.pushesAuthorizationRequests) {
      for (const [k, v] of params) url.searchParams.append(k, v);
      return url;
    }
    if (!this.metadata.pushed_authorization_request_endpoint) {
      throw new UsageError(
        "par_unsupported",
        `par = true, but the provider "${this.issuer}" publishes no pushed_authorization_request_endpoint. Unset par (or --no-par).`,
      );
    }
    const pushed = await this.#call(
      "pushed authorization response",
      () =>
        this.#withDpopNonce(async () => {
          const response = await oauth.pushedAuthorizationRequest(
            this.metadata,
            this.#client,
            this.#auth(),
            params,
            this.#tokenHttp(false),
          );
          return await oauth.processPushedAuthorizationResponse(
            this.metadata,
            this.#client,
            response,
          );
        }),
    );
    url.searchParams.set("client_id", this.#options.clientId);
    url.searchParams.set("request_uri", pushed.request_uri);
    this.#pushedLifetimeMs = pushed.expires_in * 1000;
    return url;
  }

  /**
   * How long the URL of the last {@linkcode authorizationUrl} stays usable,
   * when it carries a pushed request (RFC 9126 `expires_in`); else undefined.
   */
  get pushedRequestLifetimeMs(): number | undefined {
    return this.#pushedLifetimeMs;
  }

  /**
   * Validates an authorization response (state, iss, error, duplicates).
   * Throws {@linkcode RefusedError} for an `error=` response and
   * {@linkcode ProviderError} for anything else that is wrong.
   */
  validateCallback(
    params: URLSearchParams,
    expectedState: string,
  ): URLSearchParams {
    // The code flow never carries tokens in the redirect (RFC 9700 §2.1.2).
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
        this.metadata,
        this.#client,
        params,
        expectedState,
      );
    } catch (err) {
      throw toAuthctlError(err, "authorization response");
    }
  }

  /** Exchanges an authorization code; validates the response and ID token. */
  async exchangeCode(
    callback: URLSearchParams,
    redirectUri: string,
    codeVerifier: string,
    expectedNonce: string,
  ): Promise<TokenSet> {
    // The exchange, its key set and userinfo: one deadline, not one each.
    return await this.#httpClient.withinDeadline(() =>
      this.#exchangeCode(callback, redirectUri, codeVerifier, expectedNonce)
    );
  }

  async #exchangeCode(
    callback: URLSearchParams,
    redirectUri: string,
    codeVerifier: string,
    expectedNonce: string,
  ): Promise<TokenSet> {
    return await this.#call(
      "token response",
      () =>
        this.#withDpopNonce(async () => {
          const response = await oauth.authorizationCodeGrantRequest(
            this.metadata,
            this.#client,
            this.#auth(),
            callback,
            redirectUri,
            codeVerifier,
            this.#tokenHttp(),
          );
          const oidc = this.kind === "oidc";
          const result = await oauth.processAuthorizationCodeResponse(
            this.metadata,
            this.#timedClient(),
            response,
            oidc
              ? { expectedNonce, requireIdToken: true }
              : { expectedNonce: oauth.expectNoNonce, requireIdToken: false },
          );
          this.#checkBound(result);
          return await this.#withUserinfo(
            await this.#tokenSet(result, oidc ? expectedNonce : null),
          );
        }),
    );
  }

  /**
   * Whether the provider offers the device authorization grant (RFC 8628)
   * and does not say that it refuses it.
   */
  get supportsDeviceFlow(): boolean {
    const granted = this.metadata.grant_types_supported;
    return Boolean(this.metadata.device_authorization_endpoint) &&
      (!granted || granted.includes(DEVICE_CODE_GRANT));
  }

  /**
   * Starts a device authorization (RFC 8628 §3.1) and validates the answer:
   * `device_code`, `user_code` and `verification_uri` (or the non-standard
   * `verification_url`) present, `expires_in` above zero.
   */
  async deviceAuthorization(
    scopes: string[],
    audience: string,
  ): Promise<DeviceAuthorization> {
    if (!this.metadata.device_authorization_endpoint) {
      throw new UsageError(
        "device_not_supported",
        `The provider "${this.issuer}" has no device authorization endpoint. Use --flow loopback or --flow paste.`,
      );
    }
    const params = new URLSearchParams({
      scope: this.requestedScopes(scopes).join(" "),
    });
    if (audience) params.set("audience", audience);
    for (const [k, v] of this.#resourceParams()) params.append(k, v);
    try {
      const response = await oauth.deviceAuthorizationRequest(
        this.metadata,
        this.#client,
        this.#auth("device"),
        params,
        this.#tokenHttp(false),
      );
      const result = await oauth.processDeviceAuthorizationResponse(
        this.metadata,
        this.#client,
        await withStandardVerificationUri(response),
      );
      if (!(result.expires_in > 0)) {
        throw new ProviderError(
          "invalid_response",
          `The provider's device authorization response has an invalid expires_in (${result.expires_in}).`,
        );
      }
      return {
        deviceCode: result.device_code,
        userCode: result.user_code,
        verificationUri: result.verification_uri,
        verificationUriComplete: result.verification_uri_complete,
        expiresIn: result.expires_in,
        interval: result.interval,
      };
    } catch (err) {
      // A refusal of the client, not of the code: oidc-provider says
      // invalid_request ("… is not allowed for this client").
      if (
        err instanceof oauth.ResponseBodyError &&
        [
          "unauthorized_client",
          "invalid_client",
          "unsupported_grant_type",
          "invalid_request",
        ].includes(err.error)
      ) {
        throw new ProviderError(
          ErrorCode.deviceNotAllowed,
          `The provider does not let client "${this.#options.clientId}" use the device flow (${
            stripControl(err.error)
          }${
            descriptionOf(err)
          }). Log in with --flow loopback (a browser on this machine) or --flow paste (a browser anywhere).`,
          { cause: err },
        );
      }
      throw toAuthctlError(
        err,
        "device authorization response",
        this.#options.signal,
      );
    }
  }

  /**
   * Polls the token endpoint once with a device code (RFC 8628 §3.4, §3.5).
   * Ends the flow by throwing on `access_denied` (RefusedError),
   * `expired_token` (TimeoutError) and any other error (ProviderError).
   */
  async pollDeviceCode(deviceCode: string): Promise<DevicePoll> {
    let response: Response;
    try {
      response = await oauth.deviceCodeGrantRequest(
        this.metadata,
        this.#client,
        this.#auth("device"),
        deviceCode,
        this.#tokenHttp(),
      );
    } catch (err) {
      const mapped = toAuthctlError(err, "token", this.#options.signal);
      if (
        mapped.code === ErrorCode.unreachable ||
        mapped.code === ErrorCode.httpTimeout
      ) {
        return { status: "retry", reason: mapped.message };
      }
      throw mapped;
    }
    if (response.status >= 500) {
      await response.body?.cancel();
      return {
        status: "retry",
        reason: `The token endpoint answered HTTP ${response.status}.`,
        retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
      };
    }
    try {
      const result = await oauth.processDeviceCodeResponse(
        this.metadata,
        this.#timedClient(),
        response,
      );
      this.#checkBound(result);
      // No nonce is sent in the device flow: one in the ID token is refused.
      return {
        status: "tokens",
        tokens: await this.#withUserinfo(await this.#tokenSet(result, null)),
      };
    } catch (err) {
      // A DPoP nonce challenge: the next poll carries the nonce.
      if (this.#dpop && oauth.isDPoPNonceError(err)) {
        return { status: "pending" };
      }
      if (err instanceof oauth.ResponseBodyError) {
        switch (err.error) {
          case "authorization_pending":
            return { status: "pending" };
          case "slow_down":
            return { status: "slow_down" };
          case "access_denied":
            throw new RefusedError(
              "access_denied",
              "The login was denied at the provider.",
              { cause: err },
            );
          case "expired_token":
            throw new TimeoutError(
              "device_code_expired",
              "The code expired before it was approved. Run login again.",
              { cause: err },
            );
        }
      }
      throw this.#skewError(err) ??
        toAuthctlError(err, "token response", this.#options.signal);
    }
  }

  /**
   * Refreshes tokens (RFC 6749 §6). The ID token, when one comes back, is
   * verified like the first one and must name the same subject.
   * `invalid_grant` becomes a {@linkcode NotLoggedInError}.
   */
  async refresh(
    refreshToken: string,
    expected?: { sub?: string; tid?: string; flow?: string },
  ): Promise<TokenSet> {
    const expectedSub = expected?.sub;
    let result: oauth.TokenEndpointResponse;
    // The answer as received: its rotated refresh token is kept even when
    // the rest cannot be checked for a reason of this machine's (its clock).
    let answer: Record<string, unknown> | undefined;
    try {
      result = await this.#withDpopNonce(async () => {
        const response = await oauth.refreshTokenGrantRequest(
          this.metadata,
          this.#client,
          this.#auth(expected?.flow),
          refreshToken,
          this.#tokenHttp(),
        );
        const copy = response.clone();
        try {
          return await oauth.processRefreshTokenResponse(
            this.metadata,
            this.#timedClient(),
            response,
          );
        } catch (err) {
          answer = await copy.json().catch(() => undefined);
          throw err;
        }
      });
      this.#checkBound(result);
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
          `The provider no longer accepts client "${this.#options.clientId}" (invalid_client)${
            descriptionOf(err)
          }.`,
          { cause: err },
        );
      }
      throw keptOrNot(
        this.#skewError(err) ??
          toAuthctlError(err, "refresh response", this.#options.signal),
        err,
        answer,
      );
    }
    let tokens: TokenSet;
    try {
      tokens = this.kind === "oidc"
        ? await this.#tokenSet(result, "any")
        : await this.#withUserinfo(await this.#tokenSet(result, null));
    } catch (err) {
      throw keptOrNot(
        err instanceof AuthctlError
          ? err
          : toAuthctlError(err, "refresh response", this.#options.signal),
        err,
        result as unknown as Record<string, unknown>,
      );
    }
    if (
      tokens.identity && expectedSub !== undefined &&
      tokens.identity.sub !== expectedSub
    ) {
      throw new ProviderError(
        "subject_changed",
        `The ID token from the refresh names another user ("${
          stripControl(tokens.identity.sub)
        }", not "${stripControl(expectedSub)}"); it is not used.`,
      );
    }
    // Entra: the same user in the same tenant.
    if (
      tokens.identity?.tid !== undefined && expected?.tid !== undefined &&
      tokens.identity.tid !== expected.tid
    ) {
      throw new ProviderError(
        "tenant_changed",
        `The ID token from the refresh names another tenant ("${
          stripControl(tokens.identity.tid)
        }", not "${stripControl(expected.tid)}"); it is not used.`,
      );
    }
    return tokens;
  }

  /** Whether the provider has a revocation endpoint (RFC 7009). */
  get canRevoke(): boolean {
    return Boolean(this.metadata.revocation_endpoint);
  }

  /**
   * Revokes a token (RFC 7009). A 200 answer is success, also for a token
   * the provider no longer knows.
   */
  async revoke(
    token: string,
    hint: "refresh_token" | "access_token",
  ): Promise<void> {
    await this.#call("revocation response", async () => {
      // A bound token is revoked with a proof of the key too (oauth4webapi
      // adds none to revocation requests, so it goes in as a header).
      const headers: Record<string, string> = {};
      if (this.#dpopKey && this.metadata.revocation_endpoint) {
        const { dpopProofWithoutToken } = await import("./dpop.ts");
        headers.DPoP = await dpopProofWithoutToken(
          this.#dpopKey,
          "POST",
          new URL(this.metadata.revocation_endpoint),
        );
      }
      const response = await oauth.revocationRequest(
        this.metadata,
        this.#client,
        this.#auth(),
        token,
        {
          ...this.#http(),
          headers,
          additionalParameters: { token_type_hint: hint },
        },
      );
      await oauth.processRevocationResponse(response);
    });
  }

  /**
   * Calls the userinfo endpoint with an access token. A token the endpoint
   * refuses (401/403, a `WWW-Authenticate` challenge) is a
   * {@linkcode NotLoggedInError}.
   */
  async userinfo(accessToken: string): Promise<Record<string, unknown>> {
    if (this.kind === "oauth2") {
      const info = await this.#profile(accessToken);
      const identity = identityFrom(info);
      return { ...info, ...identity };
    }
    let response: Response;
    try {
      response = await oauth.userInfoRequest(
        this.metadata,
        this.#client,
        accessToken,
        this.#http(),
      );
    } catch (err) {
      throw toAuthctlError(err, "userinfo", this.#options.signal);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new NotLoggedInError(
        "token_rejected",
        `The provider's userinfo endpoint rejected the token (HTTP ${response.status}).`,
      );
    }
    return await this.#call(
      "userinfo response",
      () =>
        oauth.processUserInfoResponse(
          this.metadata,
          this.#client,
          oauth.skipSubjectCheck,
          response,
        ),
    );
  }

  /**
   * The tokens of a response, with the ID token verified. `nonce`: the one
   * sent, null when none was sent (then none may come back), "any" for a
   * refresh.
   */
  async #tokenSet(
    result: oauth.TokenEndpointResponse,
    nonce: string | null | "any",
  ): Promise<TokenSet> {
    // Plain OAuth 2.0 has no ID token: one that comes anyway is not
    // verifiable (no keys) and is not kept.
    const idToken = this.kind === "oidc" ? result.id_token : undefined;
    const set: TokenSet = {
      accessToken: result.access_token,
      tokenType: result.token_type,
      expiresIn: result.expires_in,
      refreshToken: result.refresh_token,
      idToken,
      scope: result.scope,
    };
    if (idToken) set.identity = await this.#verifyIdToken(idToken, nonce);
    return set;
  }

  /**
   * The provider's signing keys from its `jwks_uri`, fetched through the same
   * HTTP client (timeout, no redirects, size cap) and cached. A `kid` not in
   * the cached set fetches it again, at most once per verification and once
   * per `cooldownMs` (0 for a CLI that makes one login; a server should wait
   * longer, so forged `kid`s cannot make it hammer the provider).
   */
  keySet(cooldownMs = 0): jose.JWTVerifyGetKey {
    const jwksUri = this.metadata.jwks_uri;
    if (!jwksUri) {
      throw new ProviderError(
        "no_jwks_uri",
        `The provider "${this.issuer}" publishes no jwks_uri, so its ID token signature cannot be verified.`,
      );
    }
    this.#jwks ??= new ProviderKeys(jwksUri, this.#httpClient, cooldownMs);
    return this.#jwks.getKey;
  }

  /**
   * Fetches the provider's keys now (OpenID Connect with a `jwks_uri`), so
   * a refresh whose answer must be verified does not depend on reaching
   * them after the provider has retired the old refresh token.
   */
  async loadKeys(): Promise<void> {
    if (this.kind !== "oidc" || !this.metadata.jwks_uri) return;
    this.keySet(0);
    try {
      await this.#jwks!.ready();
    } catch (err) {
      if (err instanceof AuthctlError) throw err;
      // A timeout or a network failure, said as for any request; the key
      // set's own complaint (its status, not JSON) as it is.
      const why = err instanceof jose.errors.JOSEError
        ? stripControl(err.message)
        : toAuthctlError(err, "key set", this.#options.signal).message;
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
   */
  idTokenAlgorithms(): string[] {
    const advertised = this.metadata.id_token_signing_alg_values_supported;
    return advertised
      ? advertised.filter((alg) => ASYMMETRIC_ALGS.includes(alg))
      : ["RS256"];
  }

  /** Verifies the ID token's signature against the provider's JWKS. */
  async #verifyIdToken(
    idToken: string,
    nonce: string | null | "any",
  ): Promise<IdentityClaims> {
    // An unknown `kid` (a rotated key) fetches the set again once.
    const keys = this.keySet(0);
    const algorithms = this.idTokenAlgorithms();
    try {
      // Entra's multi-tenant issuer: the template with the token's tenant.
      const issuer = this.#issuerTemplate
        ? tenantIssuer(this.#issuerTemplate, jose.decodeJwt(idToken).tid)
        : this.issuer;
      const verifyOptions: jose.JWTVerifyOptions = {
        issuer,
        audience: this.#options.clientId,
        algorithms,
        clockTolerance: CLOCK_TOLERANCE_S,
        // The provider's time, as its Date header says (within bounds).
        currentDate: new Date(Date.now() + this.clockOffsetMs),
        maxTokenAge: MAX_ID_TOKEN_AGE_S,
        requiredClaims: ["sub", "iat", "exp"],
      };
      const { payload } = await verifyWithCandidates(
        idToken,
        keys,
        verifyOptions,
      );
      // Several audiences: the authorized party must be this client.
      if (
        Array.isArray(payload.aud) && payload.aud.length > 1 &&
        payload.azp !== this.#options.clientId
      ) {
        throw new Error(`"azp" is not the client ID (several audiences)`);
      }
      // A nonce that was sent is compared by oauth4webapi (`expectedNonce`
      // in exchangeCode); one that comes back although none was sent (the
      // device flow) only here.
      if (nonce === null && payload.nonce !== undefined) {
        throw new Error(`unexpected "nonce": none was sent`);
      }
      return identityFrom(payload, this.#issuerTemplate !== undefined);
    } catch (err) {
      // The keys out of reach (a timeout, the network) is not a bad token.
      if (
        err instanceof TypeError ||
        (err instanceof DOMException && err.name === "TimeoutError")
      ) {
        throw toAuthctlError(err, "key set", this.#options.signal);
      }
      throw this.#skewError(err) ?? new ProviderError(
        "invalid_id_token",
        `The ID token from "${this.issuer}" failed verification: ${
          stripControl((err as Error).message).replace(/\.$/, "")
        }.`,
        { cause: err },
      );
    }
  }

  /**
   * The provider's time minus this machine's, in milliseconds, from the
   * `Date` header of its last answer, when that is within
   * {@linkcode MAX_CLOCK_CORRECTION_MS}; else 0 (not believed).
   */
  get clockOffsetMs(): number {
    const skew = this.#httpClient.skewMs ?? 0;
    // A Date header counts whole seconds: a few seconds apart is noise.
    return Math.abs(skew) <= MAX_CLOCK_CORRECTION_MS &&
        Math.abs(skew) >= MIN_CLOCK_CORRECTION_MS
      ? skew
      : 0;
  }

  /**
   * One line for the person when this machine's clock is more than a
   * minute off the provider's (and the provider's time was used), else
   * undefined.
   */
  get clockNote(): string | undefined {
    const skew = this.clockOffsetMs;
    if (Math.abs(skew) <= CLOCK_TOLERANCE_S * 1000) return undefined;
    return `This computer's clock is ${Math.round(Math.abs(skew) / 1000)} s ${
      skew > 0 ? "behind" : "ahead of"
    } the provider's; its tokens were checked against the provider's time. Set the system clock right (enable NTP).`;
  }

  /** The client, with the provider's time for the checks of an answer. */
  #timedClient(): oauth.Client {
    return {
      ...this.#client,
      [oauth.clockSkew]: Math.round(this.clockOffsetMs / 1000),
    };
  }

  /**
   * When a time check failed and the provider's clock (from its Date
   * header) differs from ours beyond the tolerance, says so plainly.
   */
  #skewError(err: unknown): ProviderError | undefined {
    const timeCheck = err instanceof jose.errors.JWTExpired ||
      (err instanceof jose.errors.JWTClaimValidationFailed &&
        ["iat", "nbf", "exp"].includes(err.claim)) ||
      (err instanceof oauth.OperationProcessingError &&
        err.code === oauth.JWT_TIMESTAMP_CHECK);
    const skew = this.#httpClient.skewMs;
    if (!timeCheck || skew === undefined) return undefined;
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

  /**
   * Adds name and email from the userinfo endpoint. Its `sub` must be the ID
   * token's; other failures leave the identity as the ID token gave it.
   */
  async #withUserinfo(tokens: TokenSet): Promise<TokenSet> {
    if (this.kind === "oauth2") {
      // Who logged in comes from the profile endpoint alone.
      if (!this.metadata.userinfo_endpoint) return tokens;
      return {
        ...tokens,
        identity: identityFrom(await this.#profile(tokens.accessToken)),
      };
    }
    // Tokens for a resource (RFC 8707) are that resource's, not userinfo's.
    if (
      !this.metadata.userinfo_endpoint || !tokens.identity?.sub ||
      this.#settings.resources?.length
    ) {
      return tokens;
    }
    let info: oauth.UserInfoResponse;
    try {
      const response = await oauth.userInfoRequest(
        this.metadata,
        this.#client,
        tokens.accessToken,
        this.#http(),
      );
      info = await oauth.processUserInfoResponse(
        this.metadata,
        this.#client,
        tokens.identity.sub,
        response,
      );
    } catch (err) {
      if (
        err instanceof oauth.OperationProcessingError &&
        err.code === oauth.JSON_ATTRIBUTE_COMPARISON
      ) {
        throw new ProviderError(
          "userinfo_subject_mismatch",
          `The provider's userinfo endpoint names another user than the ID token; the login is refused.`,
          { cause: err },
        );
      }
      if (this.#options.signal?.aborted) {
        throw toAuthctlError(err, "userinfo", this.#options.signal);
      }
      return tokens;
    }
    return {
      ...tokens,
      identity: withKnownClaims(tokens.identity, identityFrom(info)),
    };
  }

  #http(): RequestOptions {
    return httpOptions(this.#httpClient, this.#insecure);
  }

  /**
   * GET the profile endpoint (`userinfo_endpoint`: Passport's
   * `/api/v1/profile`, GitHub's `/user`) with the access token. A refused
   * token is a {@linkcode NotLoggedInError}.
   */
  async #profile(accessToken: string): Promise<Record<string, unknown>> {
    const url = this.metadata.userinfo_endpoint;
    if (!url) {
      throw new UsageError(
        "no_userinfo_endpoint",
        `The provider "${this.issuer}" has no userinfo endpoint to check a token with. Set userinfo_endpoint (a route that answers with the user), or give --validate-url.`,
      );
    }
    const response = await this.#call(
      "profile request",
      () =>
        this.#httpClient.fetch(url, {
          headers: {
            authorization: `Bearer ${accessToken}`,
            accept: "application/json",
          },
        }),
    );
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new NotLoggedInError(
        "token_rejected",
        `The provider's profile endpoint rejected the token (HTTP ${response.status}).`,
      );
    }
    let body: unknown;
    try {
      body = response.ok ? await response.json() : undefined;
    } catch {
      body = undefined;
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new ProviderError(
        "invalid_response",
        `The provider's profile endpoint "${url}" answered HTTP ${response.status} without a JSON object describing the user.`,
      );
    }
    return body as Record<string, unknown>;
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.#skewError(err) ??
        toAuthctlError(err, what, this.#options.signal);
    }
  }
}

/** Clock offsets beyond a day are not corrected: the Date header is not believed. */
export const MAX_CLOCK_CORRECTION_MS = 24 * 3600_000;

/** Offsets under this are left alone (the Date header's own rounding). */
const MIN_CLOCK_CORRECTION_MS = 5_000;

/**
 * A refresh whose answer came, but could not be checked for a reason of
 * this machine's (its clock, the key set out of reach): the rotated refresh
 * token it carries must be kept, or the grant is lost.
 */
export class RefreshUnverifiedError extends ProviderError {
  /** The new refresh token the provider issued. */
  readonly refreshToken: string;
  constructor(message: string, refreshToken: string, cause: unknown) {
    super(ErrorCode.refreshUnverified, message, { cause });
    this.refreshToken = refreshToken;
  }
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

/** Whether a failure is this machine's (clock, network), not the answer's. */
function environmental(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 6; depth++) {
    if (
      e instanceof jose.errors.JWTExpired ||
      (e instanceof jose.errors.JWTClaimValidationFailed &&
        ["iat", "nbf", "exp"].includes(e.claim)) ||
      (e instanceof oauth.OperationProcessingError &&
        e.code === oauth.JWT_TIMESTAMP_CHECK) ||
      (e instanceof AuthctlError &&
        ([
          ErrorCode.unreachable,
          ErrorCode.httpTimeout,
          ErrorCode.clockSkew,
        ] as string[]).includes(e.code)) ||
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

/**
 * The provider's metadata and kind. With the authorization and token
 * endpoints given (by the profile, or by a preset that derives them from the
 * issuer), no discovery: the issuer stays the profile's identity. Otherwise
 * OpenID Connect discovery, then RFC 8414 (path inserted); the document's
 * `issuer` must equal the configured issuer exactly (RFC 8414 §3.3), the one
 * exception being Microsoft Entra ID's `{tenantid}` template for its
 * multi-tenant authorities, with `provider = "microsoft"`.
 */
export async function discoverProvider(
  options: ProviderOptions,
): Promise<Provider> {
  const issuerUrl = new URL(options.issuer);
  requireSecureUrl(issuerUrl, () =>
    new ProviderError(
      "insecure_issuer",
      `Refusing the plain-http issuer "${options.issuer}": only loopback addresses may use http.`,
    ));
  const settings = options.settings ?? {};
  const preset = presetOf(settings.provider);
  const http = new Http(
    options.network ?? { timeoutMs: DEFAULT_HTTP_TIMEOUT_MS },
    options.signal,
  );
  const given = definedEndpoints(settings);
  if (Boolean(given.authorization_endpoint) !== Boolean(given.token_endpoint)) {
    throw new UsageError(
      "incomplete_endpoints",
      `Only the ${
        given.token_endpoint ? "token" : "authorization"
      } endpoint is configured. Give authorization_endpoint and token_endpoint together (then no discovery is made), or neither.`,
    );
  }
  const derived = preset.endpoints?.(issuerUrl);
  if (given.authorization_endpoint || derived) {
    if (settings.provider === "oidc") {
      throw new UsageError(
        "oidc_without_discovery",
        `provider = "oidc" needs the provider's discovery document (for its signing keys), so endpoints cannot replace it. Remove the endpoints, or set provider = "oauth2" for a plain OAuth 2.0 server.`,
      );
    }
    const metadata: oauth.AuthorizationServer = {
      issuer: options.issuer,
      ...derived,
      ...given,
    };
    return new Provider(
      metadata,
      options,
      derived ? preset.kind : "oauth2",
      http,
    );
  }
  let lastStatus = 0;
  const tried: string[] = [];
  for (
    const { url, algorithm } of metadataLocations(
      issuerUrl,
      options.namedByResource !== undefined,
    )
  ) {
    tried.push(url.href);
    let response: Response;
    try {
      // A GET without secrets: same-origin redirects are followed.
      response = await http.discoveryFetch(url.href, {
        method: "GET",
        headers: { accept: "application/json" },
      });
    } catch (err) {
      throw toAuthctlError(err, "discovery", options.signal, options.issuer);
    }
    if (response.status !== 200) {
      lastStatus = response.status;
      await response.body?.cancel();
      continue;
    }
    let metadata: oauth.AuthorizationServer;
    try {
      // The issuer is compared below, as a plain string.
      metadata = await oauth.processDiscoveryResponse(
        NO_ISSUER_CHECK,
        response,
      );
    } catch (err) {
      throw toAuthctlError(err, "discovery document", options.signal);
    }
    const template = tenantTemplate(options.issuer, metadata.issuer, preset);
    // RFC 8414 §3.3 is a simple string comparison; URL parsing alone would
    // equate "https://a.example" and "https://a.example/".
    if (metadata.issuer !== options.issuer && !template) {
      throw issuerMismatch(options.issuer, metadata.issuer);
    }
    checkPkceSupport(metadata, options.namedByResource);
    const kind = settings.provider && settings.provider !== "oidc"
      ? preset.kind
      : settings.provider === "oidc" || algorithm === "oidc" ||
          // Named by a resource, an RFC 8414 document may be an OpenID
          // provider's too: its scopes say so.
          (options.namedByResource !== undefined &&
            metadata.scopes_supported?.includes("openid"))
      ? "oidc"
      : "oauth2";
    return new Provider(
      { ...metadata, ...given },
      options,
      kind,
      http,
      template,
    );
  }
  throw new ProviderError(
    "discovery_failed",
    `No OpenID Connect or OAuth 2.0 metadata found for the issuer "${options.issuer}" (HTTP ${lastStatus} from ${
      tried.map((t) => `"${t}"`).join(", ")
    }). Check the issuer URL, or give the endpoints (authorization_endpoint, token_endpoint) of a provider without discovery.`,
  );
}

/**
 * Where an issuer's metadata may be, in the order tried. By default OpenID
 * Connect discovery (path appended), then RFC 8414 (path inserted). For an
 * authorization server named by a protected resource, the MCP
 * authorization specification's order: RFC 8414 (path inserted), then
 * OpenID Connect with the path inserted, then appended.
 */
export function metadataLocations(
  issuer: URL,
  namedByResource: boolean,
): { url: URL; algorithm: "oidc" | "oauth2" }[] {
  const path = issuer.pathname.replace(/\/$/, "");
  const at = (p: string) => {
    const url = new URL(issuer.href);
    url.pathname = p.replace(/\/\/+/g, "/");
    return url;
  };
  const oauth2 = {
    url: at(`/.well-known/oauth-authorization-server${path}`),
    algorithm: "oauth2" as const,
  };
  const oidcAppended = {
    url: at(`${path}/.well-known/openid-configuration`),
    algorithm: "oidc" as const,
  };
  if (!namedByResource) return [oidcAppended, oauth2];
  const oidcInserted = {
    url: at(`/.well-known/openid-configuration${path}`),
    algorithm: "oidc" as const,
  };
  return path ? [oauth2, oidcInserted, oidcAppended] : [oauth2, oidcAppended];
}
