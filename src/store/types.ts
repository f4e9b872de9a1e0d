/**
 * What is stored per profile, and the interface every credential backend
 * implements.
 *
 * @module
 */

import type { ProviderSettings } from "../config/provider_settings.ts";

/** Identity claims kept from the validated ID token, for `status`. */
export interface IdentityClaims {
  /** The user's subject identifier at the issuer. */
  sub: string;
  /** Full name. */
  name?: string;
  /** Email address. */
  email?: string;
  /** Login name. */
  preferred_username?: string;
  /** Microsoft Entra ID: the user's tenant (kept across refreshes). */
  tid?: string;
}

/**
 * Where a credential came from: a login flow, a token given to
 * `login --token-stdin` (`token`), `AUTHCTL_TOKEN` (`environment`, never
 * stored), a CI job's token exchanged (`federated`), or a service
 * account's client credentials (`client_credentials`).
 */
export type CredentialOrigin =
  | "loopback"
  | "device"
  | "paste"
  | "token"
  | "environment"
  | "federated"
  | "client_credentials";

/** What a credential was obtained for: the settings it must match later. */
export interface CredentialTarget {
  issuer: string;
  clientId: string;
  scopes: string[];
  audience: string;
  /** The provider settings; the client secret is never kept. */
  provider?: ProviderSettings;
}

/** The tokens a new credential holds, as a grant returned them. */
export interface GrantedTokens {
  accessToken: string;
  /** Default "Bearer". */
  tokenType?: string;
  /** Lifetime in seconds, when the provider said; else used until refused. */
  expiresIn?: number;
  refreshToken?: string;
  idToken?: string;
  identity?: IdentityClaims;
  /** The scope granted; default "" (unknown). */
  grantedScope?: string;
}

/**
 * The one constructor of a {@linkcode StoredCredential}: `tokens` obtained
 * by `origin` at `now` for `target`, whose provider settings are kept
 * without the client secret.
 */
export function newCredential(
  target: CredentialTarget,
  origin: CredentialOrigin,
  now: number,
  tokens: GrantedTokens,
): StoredCredential {
  const { clientSecret: _, ...provider } = target.provider ?? {};
  return {
    version: 1,
    issuer: target.issuer,
    clientId: target.clientId,
    scopes: target.scopes,
    audience: target.audience,
    grantedScope: tokens.grantedScope ?? "",
    tokenType: tokens.tokenType ?? "Bearer",
    accessToken: tokens.accessToken,
    expiresAt: tokens.expiresIn === undefined
      ? undefined
      : now + tokens.expiresIn * 1000,
    refreshToken: tokens.refreshToken,
    idToken: tokens.idToken,
    identity: tokens.identity,
    obtainedAt: now,
    flow: origin,
    provider: Object.keys(provider).length ? provider : undefined,
  };
}

/** The credentials of one profile, with the settings they were obtained with. */
export interface StoredCredential {
  /** Format version of the stored entry. */
  version: 1;
  /** Issuer the tokens were obtained from. */
  issuer: string;
  /** Client ID they were issued to. */
  clientId: string;
  /** Scopes requested at login. */
  scopes: string[];
  /** Audience requested at login, or "". */
  audience: string;
  /** Scope the provider granted (space-separated). */
  grantedScope: string;
  /** Token type, normally "Bearer". */
  tokenType: string;
  /** The access token. */
  accessToken: string;
  /** When the access token expires (ms since the epoch); undefined if unknown. */
  expiresAt?: number;
  /** The refresh token, when the provider issued one. */
  refreshToken?: string;
  /** The ID token, as received (its signature was verified). */
  idToken?: string;
  /** Claims of the validated ID token. */
  identity?: IdentityClaims;
  /** When the tokens were obtained (ms since the epoch). */
  obtainedAt: number;
  /** Where they came from: a login flow, a pasted token, the environment. */
  flow: CredentialOrigin;
  /**
   * The token endpoint that issued them: the refresh token is sent there
   * and nowhere else, whatever the configuration says later.
   */
  tokenEndpoint?: string;
  /**
   * Set when the provider rejected the refresh token: the entry is kept for
   * `status` but hands out nothing until the next login.
   */
  unusable?: string;
  /**
   * The provider settings the tokens were obtained with (kind, endpoints,
   * client authentication, resources…), so refresh and logout talk to the
   * same endpoints the same way. Never the client secret: that is read from
   * the environment, the profile or the build each time.
   */
  provider?: Omit<ProviderSettings, "clientSecret">;
  /**
   * The DPoP key the tokens are bound to (RFC 9449): kept with them, in the
   * same backend, replaced at every login, removed at logout.
   */
  dpop?: DpopKey;
  /**
   * Set (ms since the epoch) when a server refused the access token
   * (`git-credential erase`): it is not handed out again, and the next
   * command refreshes it.
   */
  retiredAt?: number;
  /**
   * For a CI token exchanged at the provider: where it came from and whom
   * it named (never the CI token itself).
   */
  federated?: FederatedOrigin;
}

/** Where a federated credential's CI token came from, and what it said. */
export interface FederatedOrigin {
  /** The source (`github`, `file:/var/run/…`), as resolved. */
  source: string;
  /** The CI token's issuer. */
  iss?: string;
  /** The CI token's subject (`repo:acme/app:ref:refs/heads/main`). */
  sub?: string;
}

/** A DPoP key pair as stored: JWKs, the algorithm, the public key's thumbprint. */
export interface DpopKey {
  /** The JWS algorithm, e.g. "ES256". */
  alg: string;
  /** The private key (JWK). */
  privateJwk: JsonWebKey;
  /** The public key (JWK). */
  publicJwk: JsonWebKey;
  /** The public key's JWK thumbprint (SHA-256), as `cnf.jkt` names it. */
  jkt: string;
}

/** Where a profile's entry is kept, for `status`. */
export interface StoreLocation {
  /** "file", "keychain" or "memory". */
  backend: string;
  /** A file path or a description of the keychain entry. */
  location: string;
}

/**
 * Where a new login will store a profile, chosen and checked before the
 * login starts (so a person never approves a login that cannot be saved).
 */
export interface Placement {
  /** "file", "keychain" or "memory". */
  readonly backend: string;
  /** Stores the login's credential there, replacing any other copy. */
  save(credential: StoredCredential): Promise<void>;
}

/**
 * Room for a profile's next entry, made before a refresh request is sent
 * (a full disk, a read-only or immutable file fails here, while the stored
 * refresh token is still good), then filled with what the refresh brings.
 */
export interface Reservation {
  /** Replaces the profile's entry with `credential`, in the room made. */
  commit(credential: StoredCredential): Promise<void>;
  /** Gives the room back unused. Safe after a commit. */
  release(): Promise<void>;
}

/** A credential backend: one entry per profile. */
export interface CredentialStore {
  /** Backend name, e.g. "file". */
  readonly kind: string;
  /** The profile's entry, or undefined when there is none. */
  get(profile: string): Promise<StoredCredential | undefined>;
  /**
   * Replaces the profile's entry atomically, where it is kept now: a refresh
   * or any other rewrite never moves credentials and never probes.
   */
  set(profile: string, credential: StoredCredential): Promise<void>;
  /**
   * Chooses where a new login of the profile is stored, and checks that it
   * can be written there; throws (naming the fix) when it cannot.
   */
  place(profile: string): Promise<Placement>;
  /**
   * Makes room for the profile's next entry where it is kept now (see
   * {@linkcode Reservation}); undefined where a backend cannot (the
   * keychain: it writes through a service).
   */
  reserve?(profile: string): Promise<Reservation | undefined>;
  /** Removes the profile's entry; true when there was one. */
  delete(profile: string): Promise<boolean>;
  /** Profiles that have an entry. */
  list(): Promise<string[]>;
  /** Where the profile's entry is (or would be) kept. */
  where(profile: string): Promise<StoreLocation>;
}

/** Checks the shape of a parsed entry; returns undefined when it is not one. */
export function asStoredCredential(
  value: unknown,
): StoredCredential | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const str = (k: string) => typeof v[k] === "string";
  const optStr = (k: string) => v[k] === undefined || typeof v[k] === "string";
  if (
    v.version !== 1 || !str("issuer") || !str("clientId") ||
    !str("accessToken") || !str("tokenType") || !str("grantedScope") ||
    !str("audience") || !str("flow") || !optStr("refreshToken") ||
    !optStr("idToken") || !optStr("unusable") || !optStr("tokenEndpoint") ||
    !(v.retiredAt === undefined || typeof v.retiredAt === "number") ||
    !(v.provider === undefined ||
      (typeof v.provider === "object" && v.provider !== null &&
        !Array.isArray(v.provider))) ||
    typeof v.obtainedAt !== "number" ||
    !(v.expiresAt === undefined || typeof v.expiresAt === "number") ||
    !Array.isArray(v.scopes) || !v.scopes.every((s) => typeof s === "string")
  ) return undefined;
  return v as unknown as StoredCredential;
}
