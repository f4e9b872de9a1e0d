/**
 * The status use case: who is logged in, where, with what, until when.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import { AuthctlError } from "../errors.ts";
import type { IdentityClaims } from "../store/types.ts";
import { isFresh, settingsMismatch } from "./credential.ts";
import type { AppDeps } from "./deps.ts";

/** The status of one profile. Field names are stable for `--json`. */
export interface StatusReport {
  profile: string;
  loggedIn: boolean;
  /** Why not logged in, when not. */
  reason?: string;
  issuer?: string;
  clientId?: string;
  identity?: IdentityClaims;
  /** Granted scopes. */
  scopes?: string[];
  /** ISO 8601 expiry of the access token, or null when unknown. */
  expiresAt?: string | null;
  /** Whether the access token is still fresh. */
  accessTokenValid?: boolean;
  hasRefreshToken?: boolean;
  storage: { backend: string; location: string };
}

/** Reports the profile's status without changing anything. */
export async function status(
  deps: Pick<AppDeps, "store" | "clock">,
  settings: Settings,
): Promise<StatusReport> {
  const base = {
    profile: settings.profile,
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
  const mismatch = settingsMismatch(credential, settings);
  const valid = isFresh(credential, deps.clock.now(), 0);
  return {
    ...base,
    loggedIn: !mismatch && valid,
    reason: mismatch
      ? `The stored credentials were obtained for ${mismatch}.`
      : valid
      ? undefined
      : "The access token has expired.",
    issuer: credential.issuer,
    clientId: credential.clientId,
    identity: credential.identity,
    scopes: credential.grantedScope.split(" ").filter(Boolean),
    expiresAt: credential.expiresAt === undefined
      ? null
      : new Date(credential.expiresAt).toISOString(),
    accessTokenValid: valid,
    hasRefreshToken: Boolean(credential.refreshToken),
  };
}
