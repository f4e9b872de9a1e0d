/**
 * Token-endpoint dialects, turned into the standard at the HTTP boundary so
 * that oauth4webapi's checks apply unchanged: every token (and device
 * authorization) request asks for JSON; a form-encoded answer (GitHub's
 * without `Accept: application/json`) becomes JSON; an `error` member in an
 * HTTP 200 answer (GitHub reports every error that way) becomes the HTTP 400
 * error it stands for. Nothing else is relaxed: `token_type` is compared
 * case-insensitively and a numeric-string `expires_in` is read as a number
 * by oauth4webapi itself, and every other check of SECURITY.md B stays.
 *
 * @module
 */

import type { FetchFunction } from "./http.ts";

/** Wraps `fetch` for token-endpoint requests (see the module doc). */
export function tokenEndpointFetch(fetch: FetchFunction): FetchFunction {
  return async (url, options) => {
    const headers = new Headers(options.headers);
    headers.set("accept", "application/json");
    const response = await fetch(url, { ...options, headers });
    return await standardTokenResponse(response);
  };
}

/** The standard form of a token-endpoint answer (see the module doc). */
export async function standardTokenResponse(
  response: Response,
): Promise<Response> {
  if (response.status !== 200) return response;
  const type = response.headers.get("content-type")?.split(";")[0].trim()
    .toLowerCase();
  let body: unknown;
  if (type === "application/x-www-form-urlencoded") {
    body = Object.fromEntries(new URLSearchParams(await response.text()));
  } else if (type === "application/json" || type?.endsWith("+json")) {
    try {
      body = await response.clone().json();
    } catch {
      return response; // oauth4webapi reports the unparseable body
    }
  } else {
    return response;
  }
  const isObject = typeof body === "object" && body !== null &&
    !Array.isArray(body);
  const headers = new Headers(response.headers);
  headers.set("content-type", "application/json");
  headers.delete("content-length");
  const error = isObject && typeof (body as { error?: unknown }).error ===
      "string";
  return new Response(JSON.stringify(body), {
    status: error ? 400 : 200,
    statusText: error ? "Bad Request" : response.statusText,
    headers,
  });
}
