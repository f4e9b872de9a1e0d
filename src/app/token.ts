/**
 * The token use case: hand out an access token obtained for these settings,
 * refreshed first when it expires within the margin. The hot path: with a
 * fresh token it loads nothing protocol-related.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import { NotLoggedInError } from "../errors.ts";
import { newCredential, type StoredCredential } from "../store/types.ts";
import {
  DEFAULT_MIN_TTL_MS,
  idTokenTimes,
  isIdTokenFresh,
  notLoggedIn,
} from "./credential.ts";
import type { TokenDeps } from "./deps.ts";
import { freshCredential } from "./refresh.ts";

/** Options of {@linkcode getToken}. */
export interface TokenOptions {
  /** Minimum remaining lifetime, in milliseconds. */
  minTtlMs?: number;
  /** Refresh now, whatever the expiry. */
  forceRefresh?: boolean;
}

/**
 * Returns a usable credential for the profile (from `AUTHCTL_TOKEN` when
 * set, with nothing written) or throws exit-4 errors.
 */
export async function getToken(
  deps: TokenDeps,
  settings: Settings,
  options: TokenOptions = {},
): Promise<StoredCredential> {
  if (settings.envToken) {
    return environmentCredential(settings, deps.clock.now());
  }
  return await freshCredential(
    deps,
    settings,
    options.minTtlMs ?? DEFAULT_MIN_TTL_MS,
    undefined,
    { force: options.forceRefresh },
  );
}

/** An ID token and when it expires. */
export interface IdToken {
  idToken: string;
  /** Its `exp`, in milliseconds. */
  expiresAt: number;
}

/**
 * Returns the profile's ID token, refreshed first when it expires within the
 * margin: what a CLI presents to a backend that accepts ID tokens.
 */
export async function getIdToken(
  deps: TokenDeps,
  settings: Settings,
  options: TokenOptions = {},
): Promise<IdToken> {
  if (settings.envToken) {
    throw notLoggedIn(
      settings,
      "AUTHCTL_TOKEN holds an access token; there is no ID token to give.",
      "no_id_token",
    );
  }
  const minTtlMs = options.minTtlMs ?? DEFAULT_MIN_TTL_MS;
  const credential = await freshCredential(
    deps,
    settings,
    minTtlMs,
    (c, now, ttl) =>
      isIdTokenFresh(c, now, ttl) ||
      // Nothing a refresh could fix: said below.
      (!c.idToken && c.flow === "token"),
    { force: options.forceRefresh },
  );
  const { expiresAt, issuedAt } = idTokenTimes(credential);
  if (!credential.idToken || expiresAt === undefined) {
    throw notLoggedIn(
      settings,
      `Profile "${settings.profile}" has no ID token (a token given with --token-stdin has none).`,
      "no_id_token",
    );
  }
  const now = deps.clock.now();
  if (expiresAt - now < minTtlMs) {
    // Issued by the last exchange (the one that stored these tokens)?
    const issuedNow = issuedAt !== undefined &&
      issuedAt >= credential.obtainedAt - 60_000;
    if (issuedNow && expiresAt > now) {
      // Exit 4 (no usable token), but logging in again would not help.
      throw new NotLoggedInError(
        "id_token_short_lived",
        `The provider issued a new ID token for profile "${settings.profile}", but it lives ${
          Math.round((expiresAt - issuedAt) / 1000)
        } s in all, less than --min-ttl (${
          Math.round(minTtlMs / 1000)
        } s). Give a smaller --min-ttl.`,
      );
    }
    throw notLoggedIn(
      settings,
      `The ID token of profile "${settings.profile}" has expired and the provider did not issue a new one when refreshing.`,
      "id_token_expired",
    );
  }
  return { idToken: credential.idToken, expiresAt };
}

/** The credential `AUTHCTL_TOKEN` stands for: never stored. */
export function environmentCredential(
  settings: Settings,
  now: number,
): StoredCredential {
  // Not the provider settings: nothing was obtained with them.
  const { provider: _, ...target } = settings;
  return newCredential(target, "environment", now, {
    accessToken: settings.envToken!,
  });
}
