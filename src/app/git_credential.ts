/**
 * git's credential-helper protocol (git-credential(1)): `get` answers with
 * the profile's access token for the hosts it is configured for, `store` is
 * ignored (authctl keeps its own tokens), `erase` retires the cached access
 * token so the next `get` refreshes it.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import { isSecureUrl } from "../platform/env.ts";
import type { AppDeps } from "./deps.ts";
import { retireAccessToken } from "./refresh.ts";
import { getToken } from "./token.ts";
import { requireBearer } from "./credential.ts";

/** The attributes git sends, e.g. `protocol`, `host`, `path`, `username`. */
export type GitCredentialRequest = Record<string, string>;

/** The username sent with the token when git did not name one. */
export const DEFAULT_GIT_USERNAME = "x-access-token";

/** Options of {@linkcode gitCredential}. */
export interface GitCredentialOptions {
  /** Hosts (with `:port` when not the default) to answer for. */
  hosts: string[];
  /** Username to pair with the token when git gave none. */
  username?: string;
  /** Minimum remaining lifetime of the token, in milliseconds. */
  minTtlMs?: number;
}

/** Longest input accepted from git, in lines. */
const MAX_LINES = 256;

/**
 * Parses git's `key=value` lines up to the first empty line. Repeated keys
 * (`capability[]`, `wwwauth[]`) keep their last value; malformed lines are
 * ignored, as git's own helpers do.
 */
export function parseGitCredentialInput(
  lines: readonly string[],
): GitCredentialRequest {
  const request: GitCredentialRequest = {};
  for (const line of lines.slice(0, MAX_LINES)) {
    if (line === "") break;
    const at = line.indexOf("=");
    if (at <= 0) continue;
    request[line.slice(0, at)] = line.slice(at + 1);
  }
  return request;
}

/**
 * Whether `request` is for one of `hosts` over https (or http to a loopback
 * address). The host is compared as git sends it, port included.
 */
export function servesHost(
  request: GitCredentialRequest,
  hosts: readonly string[],
): boolean {
  const host = (request.host ?? "").toLowerCase();
  if (!host || !hosts.some((h) => h.toLowerCase() === host)) return false;
  if (request.protocol !== "https" && request.protocol !== "http") {
    return false;
  }
  try {
    return isSecureUrl(new URL(`${request.protocol}://${host}/`));
  } catch {
    return false; // not a host git could have meant
  }
}

/**
 * Runs one action of the protocol; resolves with what to print on stdout
 * (empty when git should ask elsewhere).
 */
export async function gitCredential(
  deps: Pick<
    AppDeps,
    "store" | "clock" | "locks" | "signal" | "network" | "connect"
  >,
  settings: Settings,
  action: string,
  request: GitCredentialRequest,
  options: GitCredentialOptions,
): Promise<string> {
  if (!servesHost(request, options.hosts)) return "";
  if (action === "get") {
    const credential = await getToken(deps, settings, {
      minTtlMs: options.minTtlMs,
    });
    requireBearer(credential, "git", settings);
    const lines = [
      `username=${
        request.username || options.username || DEFAULT_GIT_USERNAME
      }`,
      `password=${credential.accessToken}`,
    ];
    if (credential.expiresAt !== undefined) {
      lines.push(
        `password_expiry_utc=${Math.floor(credential.expiresAt / 1000)}`,
      );
    }
    return lines.join("\n") + "\n";
  }
  if (action === "erase" && !settings.envToken) {
    await retireAccessToken(deps, settings, request.password || undefined);
  }
  // `store` and unknown actions: nothing to do (authctl keeps its own).
  return "";
}
