/**
 * The loopback redirect URI setting (`redirect_uri`, `--redirect-uri`):
 * http to 127.0.0.1, [::1] or localhost, any path, an optional fixed port
 * (RFC 8252 §7.3).
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** The parts of a loopback redirect URI setting. */
export interface RedirectShape {
  /** "127.0.0.1", "[::1]" or "localhost". */
  host: "127.0.0.1" | "[::1]" | "localhost";
  /** The path, e.g. "/callback". */
  path: string;
  /** A fixed port, or undefined for the ephemeral port (or `ports`). */
  port?: number;
}

/** The default redirect URI shape: `http://127.0.0.1:PORT/callback`. */
export const DEFAULT_REDIRECT: RedirectShape = {
  host: "127.0.0.1",
  path: "/callback",
};

/** Parses a redirect URI setting into its shape. */
export function parseRedirectUri(value: string): RedirectShape {
  const url = new URL(checkRedirectUri(value, "the redirect URI"));
  return {
    host: url.hostname as RedirectShape["host"],
    path: url.pathname,
    port: url.port ? Number(url.port) : undefined,
  };
}

/** A loopback redirect URI, checked (RFC 8252 §7.3); `from` names its source. */
export function checkRedirectUri(value: string, from: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch { /* reported below */ }
  if (
    !url || url.protocol !== "http:" ||
    !["127.0.0.1", "[::1]", "localhost"].includes(url.hostname) ||
    url.search || url.hash || url.username || url.password
  ) {
    throw new UsageError(
      "invalid_redirect_uri",
      `Invalid redirect_uri "${value}" (from ${from}): use http://127.0.0.1, http://[::1] or http://localhost, with any path and an optional port, e.g. "http://localhost/callback" (RFC 8252 §7.3).`,
    );
  }
  return value;
}
