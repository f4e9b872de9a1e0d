/**
 * The options authctl passes to every oauth4webapi call: its own HTTP
 * client (timeout, no redirects, size cap, CA bundle, redaction), and http
 * allowed only where the issuer is on loopback.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import type { Http } from "./http.ts";

/** The request options authctl passes to every oauth4webapi call. */
export interface RequestOptions {
  [oauth.customFetch]: Http["fetch"];
  [oauth.allowInsecureRequests]: boolean;
}

export function httpOptions(http: Http, insecure: boolean): RequestOptions {
  return {
    [oauth.customFetch]: http.fetch,
    [oauth.allowInsecureRequests]: insecure,
  };
}
