/**
 * The status use case: who is logged in, where, with what, until when. It
 * changes nothing (no refresh).
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import { AuthctlError } from "../errors.ts";
import type { IdentityClaims, StoreLocation } from "../store/types.ts";
import { canRefresh, isFresh, settingsMismatch } from "./credential.ts";
import type { AppDeps } from "./deps.ts";

/** The status of one profile. Field names are stable for `--json`. */
export interface StatusReport {
  /** The profile. */
  profile: string;
  /** A usable token exists: a fresh access token, or one a refresh can renew. */
  loggedIn: boolean;
  /** Why not logged in, when not. */
  reason?: string;
  /** "store", or "environment" for AUTHCTL_TOKEN. */
  source: "store" | "environment";
  /** The issuer the credentials are for. */
  issuer?: string;
  /** The client ID the credentials are for. */
  clientId?: string;
  /** The user's `sub`. */
  subject?: string;
  /** The user's name, when the provider gave it. */
  name?: string;
  /** The user's email, when the provider gave it. */
  email?: string;
  /** What the ID token (and userinfo) said about the user. */
  identity?: IdentityClaims;
  /** Granted scopes. */
  scopes?: string[];
  /** ISO 8601 UTC expiry of the access token, or null when unknown. */
  expiresAt?: string | null;
  /** Seconds until the access token expires (negative: expired), or null. */
  expiresIn?: number | null;
  /** Whether the access token itself is still valid. */
  accessTokenValid?: boolean;
  /** Whether a refresh can renew the access token. */
  canRefresh?: boolean;
  /** How the credentials were obtained (loopback, device, paste, token). */
  flow?: string;
  /** Where the credentials are kept. */
  storage: StoreLocation;
}

/** Reports the profile's status without changing anything. */
export async function status(
  deps: Pick<AppDeps, "store" | "clock">,
  settings: Settings,
): Promise<StatusReport> {
  if (settings.envToken) {
    return {
      profile: settings.profile,
      loggedIn: true,
      source: "environment",
      issuer: settings.issuer || undefined,
      expiresAt: null,
      expiresIn: null,
      accessTokenValid: true,
      canRefresh: false,
      storage: { backend: "environment", location: "AUTHCTL_TOKEN" },
    };
  }
  const base = {
    profile: settings.profile,
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
    return { ...base, loggedIn: false, reason: "No credentials are stored." };
  }
  const now = deps.clock.now();
  const mismatch = settingsMismatch(credential, settings);
  const valid = isFresh(credential, now, 0);
  const refreshable = canRefresh(credential);
  const usable = !mismatch && (valid || refreshable);
  return {
    ...base,
    loggedIn: usable,
    reason: mismatch
      ? `The stored credentials were obtained for ${mismatch}.`
      : credential.unusable
      ? `The provider rejected the credentials (${credential.unusable}).`
      : usable
      ? undefined
      : "The access token has expired and cannot be refreshed.",
    issuer: credential.issuer,
    clientId: credential.clientId,
    subject: credential.identity?.sub,
    name: credential.identity?.name ?? credential.identity?.preferred_username,
    email: credential.identity?.email,
    identity: credential.identity,
    scopes: credential.grantedScope.split(" ").filter(Boolean),
    expiresAt: credential.expiresAt === undefined
      ? null
      : new Date(credential.expiresAt).toISOString(),
    expiresIn: credential.expiresAt === undefined
      ? null
      : Math.floor((credential.expiresAt - now) / 1000),
    accessTokenValid: valid,
    canRefresh: refreshable,
    flow: credential.flow,
  };
}
