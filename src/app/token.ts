/**
 * The token use case: hand out the stored access token while it is fresh and
 * obtained for these settings. The hot path: imports nothing protocol-related.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import type { StoredCredential } from "../store/types.ts";
import {
  DEFAULT_MIN_TTL_MS,
  isFresh,
  loadCredential,
  notLoggedIn,
} from "./credential.ts";
import type { AppDeps } from "./deps.ts";

/** Options of {@linkcode getToken}. */
export interface TokenOptions {
  /** Minimum remaining lifetime, in milliseconds. */
  minTtlMs?: number;
}

/** Returns a usable credential for the profile or throws exit-4 errors. */
export async function getToken(
  deps: Pick<AppDeps, "store" | "clock">,
  settings: Settings,
  options: TokenOptions = {},
): Promise<StoredCredential> {
  const credential = await loadCredential(deps.store, settings);
  if (
    !isFresh(
      credential,
      deps.clock.now(),
      options.minTtlMs ?? DEFAULT_MIN_TTL_MS,
    )
  ) {
    throw notLoggedIn(
      settings.profile,
      `The access token of profile "${settings.profile}" has expired.`,
      "token_expired",
    );
  }
  return credential;
}
