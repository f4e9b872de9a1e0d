/**
 * The token use case: hand out an access token obtained for these settings,
 * refreshed first when it expires within the margin. The hot path: with a
 * fresh token it loads nothing protocol-related.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import type { StoredCredential } from "../store/types.ts";
import { DEFAULT_MIN_TTL_MS } from "./credential.ts";
import type { AppDeps } from "./deps.ts";
import { freshCredential } from "./refresh.ts";

/** Options of {@linkcode getToken}. */
export interface TokenOptions {
  /** Minimum remaining lifetime, in milliseconds. */
  minTtlMs?: number;
}

/**
 * Returns a usable credential for the profile (from `AUTHCTL_TOKEN` when
 * set, with nothing written) or throws exit-4 errors.
 */
export async function getToken(
  deps: Pick<AppDeps, "store" | "clock" | "locks" | "signal" | "network">,
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
  );
}

/** The credential `AUTHCTL_TOKEN` stands for: never stored. */
export function environmentCredential(
  settings: Settings,
  now: number,
): StoredCredential {
  return {
    version: 1,
    issuer: settings.issuer,
    clientId: settings.clientId,
    scopes: settings.scopes,
    audience: settings.audience,
    grantedScope: "",
    tokenType: "Bearer",
    accessToken: settings.envToken!,
    obtainedAt: now,
    flow: "environment",
  };
}
