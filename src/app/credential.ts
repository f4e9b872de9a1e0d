/**
 * Rules about stored credentials shared by the use cases: a credential serves
 * only the settings it was obtained with, and only while it is fresh.
 *
 * @module
 */

import { buildInfo } from "../config/build_info.ts";
import { PROTOCOL_SCOPES, type Settings } from "../config/settings.ts";
import { NotLoggedInError, UsageError } from "../errors.ts";
import type { StoredCredential } from "../store/types.ts";

/** Default minimum remaining lifetime of a handed-out access token. */
export const DEFAULT_MIN_TTL_MS = 60_000;

/**
 * Describes how `credential` differs from the configured settings, or returns
 * undefined when it serves them. A setting configured nowhere (empty) takes
 * the credential's own value.
 */
export function settingsMismatch(
  credential: StoredCredential,
  settings: Settings,
): string | undefined {
  if (settings.issuer && settings.issuer !== credential.issuer) {
    return `issuer "${credential.issuer}", not "${settings.issuer}"`;
  }
  if (settings.clientId && settings.clientId !== credential.clientId) {
    return `client ID "${credential.clientId}", not "${settings.clientId}"`;
  }
  if (
    settings.sources.scopes !== "default" &&
    !sameSet(settings.scopes, credential.scopes)
  ) {
    return `scopes "${
      credential.scopes.filter((s) => !PROTOCOL_SCOPES.includes(s as never))
        .join(" ")
    }", not "${settings.scopes.join(" ")}"`;
  }
  if (settings.audience && settings.audience !== credential.audience) {
    return `audience "${credential.audience}", not "${settings.audience}"`;
  }
  // A token for one resource (RFC 8707) is never handed out for another.
  const resources = settings.provider.resources ?? [];
  const obtainedFor = credential.provider?.resources ?? [];
  if (resources.length && !sameResources(resources, obtainedFor)) {
    return `${
      obtainedFor.length
        ? `the resource "${obtainedFor.join(" ")}"`
        : "no particular resource"
    }, not "${resources.join(" ")}"`;
  }
  return undefined;
}

/** Whether two lists name the same resources (as URLs). */
function sameResources(a: readonly string[], b: readonly string[]): boolean {
  const norm = (list: readonly string[]) =>
    new Set(list.map((r) => {
      try {
        return new URL(r).href;
      } catch {
        return r;
      }
    }));
  const sa = norm(a);
  const sb = norm(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/**
 * Whether the access token lives at least `minTtlMs` longer. A lifetime the
 * provider did not state counts as short — except for a token given with
 * `login --token-stdin`, which is used until it is rejected.
 */
export function isFresh(
  credential: StoredCredential,
  now: number,
  minTtlMs = DEFAULT_MIN_TTL_MS,
): boolean {
  if (credential.unusable || credential.retiredAt !== undefined) return false;
  if (credential.expiresAt !== undefined) {
    return credential.expiresAt - now >= refreshMargin(credential, minTtlMs);
  }
  return credential.flow === "token" || now - credential.obtainedAt < minTtlMs;
}

/**
 * How long before its expiry an access token is renewed: `minTtlMs`, except
 * for a token whose whole lifetime is shorter than that, which is renewed
 * when less than half of its lifetime remains. Otherwise a provider that
 * issues 30-second tokens would get a refresh at every call.
 */
export function refreshMargin(
  credential: Pick<StoredCredential, "expiresAt" | "obtainedAt">,
  minTtlMs: number,
): number {
  if (credential.expiresAt === undefined) return minTtlMs;
  const lifetime = credential.expiresAt - credential.obtainedAt;
  return lifetime > 0 && lifetime < minTtlMs ? lifetime / 2 : minTtlMs;
}

/**
 * The stored ID token's `exp` and `iat` (in ms), when it has them. The token
 * was verified when stored; this only reads it.
 */
export function idTokenTimes(
  credential: StoredCredential,
): { expiresAt?: number; issuedAt?: number } {
  const part = credential.idToken?.split(".")[1];
  if (!part) return {};
  try {
    const payload = JSON.parse(
      new TextDecoder().decode(
        Uint8Array.fromBase64(part, { alphabet: "base64url" }),
      ),
    );
    const ms = (v: unknown) => typeof v === "number" ? v * 1000 : undefined;
    return { expiresAt: ms(payload.exp), issuedAt: ms(payload.iat) };
  } catch {
    return {};
  }
}

/** When the stored ID token expires (its `exp`, in ms), when known. */
export function idTokenExpiresAt(
  credential: StoredCredential,
): number | undefined {
  return idTokenTimes(credential).expiresAt;
}

/** Whether the ID token lives at least `minTtlMs` longer. */
export function isIdTokenFresh(
  credential: StoredCredential,
  now: number,
  minTtlMs = DEFAULT_MIN_TTL_MS,
): boolean {
  const exp = idTokenExpiresAt(credential);
  return !credential.unusable && exp !== undefined && exp - now >= minTtlMs;
}

/** Whether a refresh could renew the access token. */
export function canRefresh(credential: StoredCredential): boolean {
  return Boolean(credential.refreshToken) && !credential.unusable;
}

/** The "not logged in" error for a profile, with the fix. */
export function notLoggedIn(
  profile: string,
  reason: string,
  code = "not_logged_in",
): NotLoggedInError {
  const flag = profile === "default" ? "" : ` --profile ${profile}`;
  return new NotLoggedInError(
    code,
    `${reason} Run: ${buildInfo.name} login${flag}`,
  );
}

/** Loads the profile's credential, checked against the settings. */
export async function loadCredential(
  store: { get(profile: string): Promise<StoredCredential | undefined> },
  settings: Settings,
): Promise<StoredCredential> {
  const credential = await store.get(settings.profile);
  const resources = settings.provider.resources ?? [];
  const chosen = ["flag", "env", "resource"].includes(settings.sources.profile);
  if (!credential && resources.length === 1 && !chosen) {
    // `token --resource URL` that no profile is logged in to.
    throw new NotLoggedInError(
      "not_logged_in",
      `No profile is logged in to the resource "${
        resources[0]
      }". Run: ${buildInfo.name} login --resource ${resources[0]}`,
    );
  }
  if (!credential) {
    throw notLoggedIn(
      settings.profile,
      `Not logged in (profile "${settings.profile}").`,
    );
  }
  const mismatch = settingsMismatch(credential, settings);
  if (mismatch) {
    throw notLoggedIn(
      settings.profile,
      `The stored credentials of profile "${settings.profile}" were obtained for ${mismatch}.`,
      "settings_mismatch",
    );
  }
  return credential;
}

/** Whether two scope lists ask for the same, protocol scopes aside. */
function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const own = (s: string) =>
    !(PROTOCOL_SCOPES as readonly string[]).includes(s);
  const sa = new Set(a.filter(own));
  const sb = new Set(b.filter(own));
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/**
 * Refuses a DPoP-bound credential to a consumer that cannot present a
 * proof with each request (`what`: "exec", "git", "kubectl"…).
 */
export function requireBearer(credential: StoredCredential, what: string) {
  if (!credential.dpop) return;
  throw new UsageError(
    "dpop_bound",
    `The tokens of this profile are bound to a proof-of-possession key (DPoP, thumbprint ${credential.dpop.jkt}), so ${what} cannot use them: every request needs a fresh proof from that key. Call the API with "${buildInfo.name} api URL" instead, or log in with --dpop never for a bearer token.`,
  );
}
