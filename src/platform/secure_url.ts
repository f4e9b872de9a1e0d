/**
 * The one rule for where a token, a secret or a trusted document may come
 * from or go to: https, or plain http only to this machine.
 *
 * @module
 */

import { isLoopbackHost } from "./env.ts";

/** Whether `url` is https, or http to a loopback address. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === "https:" ||
    (url.protocol === "http:" && isLoopbackHost(url.hostname));
}

/**
 * Returns `url` when it {@linkcode isSecureUrl}; else throws what `refuse`
 * builds (each caller says it in its own words: what was refused, and the
 * fix).
 */
export function requireSecureUrl(url: URL, refuse: (url: URL) => Error): URL {
  if (!isSecureUrl(url)) throw refuse(url);
  return url;
}
