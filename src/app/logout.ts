/**
 * The logout use case: end the session at the provider when it can (RFC
 * 7009 revocation of the refresh and access tokens), then forget the
 * credentials locally whatever the provider answered.
 *
 * @module
 */

import { stripControl } from "../errors.ts";
import type { ProviderSettings } from "../config/provider_settings.ts";
import type { StoredCredential } from "../store/types.ts";
import type { AppDeps } from "./deps.ts";

/** What happened at the provider. */
export type Revocation =
  | "revoked" // the provider confirmed (RFC 7009: also for unknown tokens)
  | "unsupported" // the provider has no revocation endpoint
  | "failed" // the provider could not be reached or refused
  | "not-applicable"; // nothing to revoke (no credentials, or a pasted token)

/** What a logout did. */
export interface LogoutResult {
  /** The profile logged out. */
  profile: string;
  /** Whether anything was stored. */
  removed: boolean;
  /** What happened at the provider. */
  revocation: Revocation;
  /** Why revocation failed, when it did. */
  detail?: string;
}

/**
 * Logs one profile out. `provider`: the provider settings configured now
 * (a revocation endpoint, the installed-app secret), over those the tokens
 * were obtained with.
 */
export async function logout(
  deps: Pick<
    AppDeps,
    "store" | "signal" | "network" | "connect" | "locks"
  >,
  profile: string,
  provider: ProviderSettings = {},
): Promise<LogoutResult> {
  // Under the profile's lock: a refresh in flight saves first, and what
  // it saved is revoked and removed here (it cannot bring the profile back).
  const lock = await deps.locks.acquire(profile, deps.signal);
  try {
    const credential = await deps.store.get(profile).catch(() => undefined);
    const revocation = credential
      ? await revokeAll(deps, credential, provider)
      : { revocation: "not-applicable" as const };
    const removed = await deps.store.delete(profile);
    return { profile, removed, ...revocation };
  } finally {
    lock.release();
  }
}

/** Logs out every profile that has credentials. */
export async function logoutAll(
  deps: Pick<
    AppDeps,
    "store" | "signal" | "network" | "connect" | "locks"
  >,
  provider: ProviderSettings = {},
): Promise<LogoutResult[]> {
  const results: LogoutResult[] = [];
  for (const profile of await deps.store.list()) {
    results.push(await logout(deps, profile, provider));
  }
  return results;
}

async function revokeAll(
  deps: Pick<AppDeps, "signal" | "network" | "connect">,
  credential: StoredCredential,
  configured: ProviderSettings,
): Promise<{ revocation: Revocation; detail?: string }> {
  if (credential.flow === "token") return { revocation: "not-applicable" };
  try {
    // Loaded only by logout.
    const oauth = await import("../oauth/mod.ts");
    let session = await deps.connect({
      issuer: credential.issuer,
      clientId: credential.clientId,
      settings: { ...credential.provider, ...configured },
    });
    if (!oauth.canRevoke(session.metadata)) {
      return { revocation: "unsupported" };
    }
    // Bound tokens are revoked with a proof of their key.
    if (credential.dpop) {
      session = await oauth.withDpop(session, credential.dpop);
    }
    // The refresh token first: revoking it ends the grant at most providers.
    if (credential.refreshToken) {
      await oauth.revocationRequest(
        session,
        credential.refreshToken,
        "refresh_token",
      );
    }
    await oauth.revocationRequest(
      session,
      credential.accessToken,
      "access_token",
    );
    return { revocation: "revoked" };
  } catch (err) {
    return {
      revocation: "failed",
      detail: stripControl((err as Error).message),
    };
  }
}
