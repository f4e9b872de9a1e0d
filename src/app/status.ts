/**
 * The status use case: who is logged in, where, with what, until when. It
 * changes nothing (no refresh).
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import { AuthctlError } from "../errors.ts";
import type {
  FederatedOrigin,
  IdentityClaims,
  StoreLocation,
} from "../store/types.ts";
import {
  canRefresh,
  isFresh,
  loginCommand,
  requireKnownProfile,
  settingsMismatch,
} from "./credential.ts";
import type { AppDeps } from "./deps.ts";

/** What became of the access token, for people and scripts. */
export type AccessTokenState =
  /** Within its lifetime (or a token given by the user, used until refused). */
  | "valid"
  /** Past its lifetime. */
  | "expired"
  /** A server refused it (`git-credential erase`); the next use refreshes. */
  | "retired"
  /** The provider refused the refresh token: only a new login helps. */
  | "refused";

/**
 * The status of one profile. Field names are stable for `--json`, and every
 * field is always present: `null` when there is nothing to say (no stored
 * credentials, a lifetime the provider did not state, a claim it did not
 * send).
 */
export interface StatusReport {
  /** The profile. */
  profile: string;
  /** A usable token exists: a fresh access token, or one a refresh can renew. */
  loggedIn: boolean;
  /** Why not logged in, or null when logged in. */
  reason: string | null;
  /** The command that logs in for these settings, when not logged in. */
  fix: string | null;
  /**
   * How the stored credentials differ from the settings asked for (they
   * then serve other settings, whatever their state), or null.
   */
  mismatch: string | null;
  /** "store", or "environment" for AUTHCTL_TOKEN. */
  source: "store" | "environment";
  /** The issuer the credentials are for. */
  issuer: string | null;
  /** The client ID the credentials are for. */
  clientId: string | null;
  /** The user's `sub`. */
  subject: string | null;
  /** The user's name (or login name), when the provider gave it. */
  name: string | null;
  /** The user's email, when the provider gave it. */
  email: string | null;
  /** What the ID token (and userinfo) said about the user. */
  identity: IdentityClaims | null;
  /** Granted scopes. */
  scopes: string[] | null;
  /** The resources (RFC 8707) the tokens are for, or null for none. */
  resources: string[] | null;
  /** ISO 8601 UTC expiry of the access token, or null when unknown. */
  expiresAt: string | null;
  /** Seconds until the access token expires (negative: expired), or null. */
  expiresIn: number | null;
  /** Whether the access token itself can be handed out now. */
  accessTokenValid: boolean | null;
  /** What became of the access token, or null with no credentials. */
  accessTokenState: AccessTokenState | null;
  /** Whether a refresh can renew the access token. */
  canRefresh: boolean | null;
  /** How the credentials were obtained (loopback, device, paste, token). */
  flow: string | null;
  /**
   * The thumbprint of the DPoP key the tokens are bound to (RFC 9449
   * `cnf.jkt`), or null for bearer tokens.
   */
  dpopThumbprint: string | null;
  /**
   * For credentials obtained with a CI job's token: its source (`github`,
   * `file:…`), issuer and subject; otherwise null.
   */
  federated: FederatedOrigin | null;
  /** Where the credentials are kept. */
  storage: StoreLocation;
}

/** Reports the profile's status without changing anything. */
export async function status(
  deps: Pick<AppDeps, "store" | "clock">,
  settings: Settings,
): Promise<StatusReport> {
  const empty = {
    profile: settings.profile,
    reason: null,
    fix: null,
    mismatch: null,
    issuer: null,
    clientId: null,
    subject: null,
    name: null,
    email: null,
    identity: null,
    scopes: null,
    resources: null,
    expiresAt: null,
    expiresIn: null,
    accessTokenValid: null,
    accessTokenState: null,
    canRefresh: null,
    flow: null,
    dpopThumbprint: null,
    federated: null,
  };
  if (settings.envToken) {
    return {
      ...empty,
      loggedIn: true,
      source: "environment",
      issuer: settings.issuer || null,
      accessTokenValid: true,
      accessTokenState: "valid",
      canRefresh: false,
      storage: { backend: "environment", location: "AUTHCTL_TOKEN" },
    };
  }
  const base = {
    ...empty,
    source: "store" as const,
    storage: await deps.store.where(settings.profile),
  };
  let credential;
  try {
    credential = await deps.store.get(settings.profile);
  } catch (err) {
    if (err instanceof AuthctlError) {
      return { ...base, loggedIn: false, reason: err.message };
    }
    throw err;
  }
  if (!credential) {
    await requireKnownProfile(deps.store, settings);
    return {
      ...base,
      loggedIn: false,
      reason: "No credentials are stored.",
      fix: loginCommand(settings),
    };
  }
  const now = deps.clock.now();
  const mismatch = settingsMismatch(credential, settings);
  const valid = isFresh(credential, now, 0);
  const refreshable = canRefresh(credential);
  const usable = !mismatch && (valid || refreshable);
  const state: AccessTokenState = credential.unusable
    ? "refused"
    : credential.retiredAt !== undefined
    ? "retired"
    : valid
    ? "valid"
    : "expired";
  const identity = credential.identity;
  return {
    ...base,
    loggedIn: usable,
    reason: mismatch
      ? `The stored credentials were obtained for ${mismatch}.`
      : credential.unusable
      ? `The provider refused the credentials (${credential.unusable}).`
      : usable
      ? null
      : "The access token has expired and cannot be refreshed.",
    fix: usable ? null : loginCommand(settings),
    mismatch: mismatch ?? null,
    issuer: credential.issuer || null,
    clientId: credential.clientId || null,
    subject: identity?.sub || null,
    name: identity?.name ?? identity?.preferred_username ?? null,
    email: identity?.email ?? null,
    identity: identity ?? null,
    scopes: credential.grantedScope.split(" ").filter(Boolean),
    resources: credential.provider?.resources?.length
      ? credential.provider.resources
      : null,
    expiresAt: credential.expiresAt === undefined
      ? null
      : new Date(credential.expiresAt).toISOString(),
    expiresIn: credential.expiresAt === undefined
      ? null
      : Math.floor((credential.expiresAt - now) / 1000),
    accessTokenValid: valid,
    accessTokenState: state,
    canRefresh: refreshable,
    flow: credential.flow,
    dpopThumbprint: credential.dpop?.jkt ?? null,
    federated: credential.federated ?? null,
  };
}
