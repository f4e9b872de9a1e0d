/**
 * Rules about stored credentials shared by the use cases: a credential serves
 * only the settings it was obtained with, and only while it is fresh.
 *
 * @module
 */

import { ownScopes, type Settings } from "../config/settings.ts";
import {
  type DpopMode,
  PROVIDER_SETTING_SPECS,
} from "../config/provider_settings.ts";
import { NotLoggedInError, UsageError } from "../errors.ts";
import type { StoredCredential } from "../store/types.ts";

/**
 * How far before a credential's `obtainedAt` the clock may read before it
 * counts as set back (a few seconds of drift between processes are not).
 */
const CLOCK_SET_BACK_MS = 5_000;

/** Default minimum remaining lifetime of a handed-out access token. */
export const DEFAULT_MIN_TTL_MS = 60_000;

/**
 * Describes how `credential` differs from the configured settings, or returns
 * undefined when it serves them. A setting configured nowhere (empty) takes
 * the credential's own value. Scopes and resources must be the same sets
 * (SECURITY.md §35: a token with more scopes, or for several resources, is
 * never handed out where less was asked for).
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
  if (!scopesServe(credential, settings)) {
    const own = ownScopes(credential.scopes);
    return `${
      own.length ? `the scopes "${own.join(" ")}"` : "no scopes"
    }, not "${settings.scopes.join(" ")}"`;
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
  // Bearer tokens asked for (`dpop = "never"`): bound ones do not serve.
  if (settings.provider.dpop === "never" && credential.dpop) {
    return `a proof-of-possession key (DPoP), not bearer tokens (dpop never)`;
  }
  return undefined;
}

/** Whether the credential was obtained for the scopes the settings ask for. */
function scopesServe(credential: StoredCredential, settings: Settings) {
  if (settings.sources.scopes === "default") return true;
  const had = new Set(ownScopes(credential.scopes));
  const asked = new Set(ownScopes(settings.scopes));
  return had.size === asked.size && [...asked].every((s) => had.has(s));
}

/** What a login hint changes from the settings it is built from. */
export interface LoginChange {
  /** `--dpop`. */
  dpop?: DpopMode;
  /** `--force`: log in although a fresh token for these settings is kept. */
  force?: boolean;
}

/**
 * The login command that obtains credentials serving `settings`: the
 * profile, and everything this command was given as a flag (the
 * environment and config.toml the login shares): the login obtains
 * credentials for exactly what this command asks.
 */
export function loginCommand(
  settings: Settings,
  change: LoginChange = {},
): string {
  const args = [settings.appName, "login"];
  const resources = settings.provider.resources ?? [];
  if (
    settings.sources.profile === "resource" && resources.length === 1 &&
    !settings.issuer
  ) {
    args.push("--resource", resources[0]);
  } else if (
    settings.profile !== "default" || settings.sources.profile === "flag"
  ) {
    args.push("--profile", settings.profile);
  }
  if (settings.sources.issuer === "flag") {
    args.push("--issuer", settings.issuer);
  }
  if (settings.sources.clientId === "flag") {
    args.push("--client-id", settings.clientId);
  }
  if (settings.sources.scopes === "flag") {
    for (const scope of settings.scopes) args.push("--scope", scope);
  }
  if (settings.sources.audience === "flag") {
    args.push("--audience", settings.audience);
  }
  const given = { ...settings.providerFlags };
  if (change.dpop) given.dpop = change.dpop;
  for (const spec of PROVIDER_SETTING_SPECS) {
    const value = given[spec.key];
    if (!spec.flag || value === undefined) continue;
    if (spec.key === "resources" && args.includes("--resource")) continue;
    if (typeof value === "boolean") {
      args.push(value ? `--${spec.flag}` : `--no-${spec.flag}`);
    } else {
      for (const v of Array.isArray(value) ? value : [String(value)]) {
        args.push(`--${spec.flag}`, String(v));
      }
    }
  }
  if (settings.sources.storage === "flag") {
    args.push("--storage", settings.storage);
  }
  if (change.force) args.push("--force");
  return args.map(shellWord).join(" ");
}

/** A word as a POSIX shell reads it back: quoted when it must be. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", `'\\''`)}'`;
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
 * Whether the access token lives at least `minTtlMs` longer. A token whose
 * lifetime the provider did not state (GitHub's OAuth-app tokens, a token
 * given with `login --token-stdin`) is used until it is refused: then a
 * server's 401 or `git-credential erase` retires it.
 */
export function isFresh(
  credential: StoredCredential,
  now: number,
  minTtlMs = DEFAULT_MIN_TTL_MS,
): boolean {
  if (credential.unusable || credential.retiredAt !== undefined) return false;
  // Obtained "in the future": this clock has been set back since, so its
  // idea of the expiry cannot be trusted; a refresh finds out.
  if (now < credential.obtainedAt - CLOCK_SET_BACK_MS) return false;
  if (credential.expiresAt === undefined) return true;
  return credential.expiresAt - now >= refreshMargin(credential, minTtlMs);
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
  return !credential.unusable &&
    (Boolean(credential.refreshToken) || renewable(credential));
}

/**
 * Whether new tokens come without a refresh token and without a person: a
 * CI token exchanged again, or the client credentials grant.
 */
export function renewable(credential: StoredCredential): boolean {
  return credential.flow === "federated" ||
    credential.flow === "client_credentials";
}

/** The "not logged in" error for a profile, with the fix. */
export function notLoggedIn(
  settings: Settings,
  reason: string,
  code = "not_logged_in",
  fix: string = loginCommand(settings),
): NotLoggedInError {
  return new NotLoggedInError(code, `${reason} Run: ${fix}`);
}

/**
 * Refuses a profile named by `--profile` or `AUTHCTL_PROFILE` that exists
 * nowhere: not in config.toml, not in the store, and with no issuer from a
 * flag, the environment or the build that would make it one. Most often a
 * misspelling: exit 2, naming the profiles there are.
 */
export async function requireKnownProfile(
  store: { list(): Promise<string[]> },
  settings: Settings,
): Promise<void> {
  if (!["flag", "env"].includes(settings.sources.profile)) return;
  if (settings.profile === "default") return;
  if (settings.configuredProfiles.includes(settings.profile)) return;
  if (["flag", "env", "build", "resource"].includes(settings.sources.issuer)) {
    return;
  }
  const stored = await store.list().catch(() => [] as string[]);
  if (stored.includes(settings.profile)) return;
  throw unknownProfile(settings.profile, [
    ...new Set([...settings.configuredProfiles, ...stored]),
  ], settings.appName);
}

/** The error for a profile that exists nowhere, with the ones that do. */
export function unknownProfile(
  name: string,
  known: string[],
  appName: string,
): UsageError {
  const sorted = [...known].sort();
  const near = sorted.find((k) => editDistance(k, name) <= 2);
  return new UsageError(
    "unknown_profile",
    `No profile named "${name}"${
      sorted.length
        ? `; profiles: ${sorted.join(", ")}${
          near ? ` (did you mean "${near}"?)` : ""
        }`
        : " (none is configured)"
    }. Add it with: ${appName} profiles add ${
      shellWord(name)
    } --issuer URL --client-id ID`,
  );
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        row[j] + 1,
        next[j - 1] + 1,
        row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length];
}

/** Loads the profile's credential, checked against the settings. */
export async function loadCredential(
  store: {
    get(profile: string): Promise<StoredCredential | undefined>;
    list(): Promise<string[]>;
  },
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
      }". Run: ${settings.appName} login --resource ${resources[0]}`,
    );
  }
  if (!credential) {
    await requireKnownProfile(store, settings);
    throw notLoggedIn(
      settings,
      `Not logged in (profile "${settings.profile}").`,
    );
  }
  const mismatch = settingsMismatch(credential, settings);
  if (mismatch) {
    throw notLoggedIn(
      settings,
      `The stored credentials of profile "${settings.profile}" were obtained for ${mismatch}.`,
      "settings_mismatch",
    );
  }
  return credential;
}

/**
 * Refuses a DPoP-bound credential to a consumer that cannot present a
 * proof with each request (`what`: "exec", "git", "kubectl"…).
 */
export function requireBearer(
  credential: StoredCredential,
  what: string,
  settings: Settings,
) {
  if (!credential.dpop) return;
  throw new UsageError(
    "dpop_bound",
    `The tokens of this profile are bound to a proof-of-possession key (DPoP, thumbprint ${credential.dpop.jkt}), so ${what} cannot use them: every request needs a fresh proof from that key. Call the API with "${settings.appName} api URL" instead, or log in for bearer tokens: ${
      loginCommand(settings, { dpop: "never" })
    }`,
  );
}
