/**
 * The api use case: call any API with the profile's access token, as
 * `gh api` does for GitHub. The token is refreshed first when it expires
 * soon; an answer of 401 whose `WWW-Authenticate` says `invalid_token` gets
 * one refresh and one retry, never more. Redirects to another origin are
 * followed without the token.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import {
  AuthctlError,
  ExitCode,
  NotLoggedInError,
  ProviderError,
  UsageError,
} from "../errors.ts";
import { Http } from "../oauth/http.ts";
import { isLoopbackHost } from "../platform/env.ts";
import type { DpopKey } from "../store/types.ts";
import type { AppDeps } from "./deps.ts";
import { getToken } from "./token.ts";

/** Largest request body sent, in bytes. */
export const MAX_REQUEST_BODY = 10 * 1024 * 1024;

/** Redirects followed. */
const MAX_REDIRECTS = 5;

/** What to call. */
export interface ApiRequest {
  url: string;
  method: string;
  headers: [string, string][];
  /** The body, already read (bounded), or undefined. */
  body?: Uint8Array;
}

/** Where the answer goes. */
export interface ApiOutput {
  /** The status line and headers (`--include`), or undefined. */
  head?: (text: string) => void;
  /** The response body, chunk by chunk, as it arrives. */
  body: (chunk: Uint8Array) => void;
}

/** An answer outside 2xx: exit 1, after the body was written. */
export class HttpStatusError extends AuthctlError {
  /** The HTTP status. */
  readonly status: number;
  constructor(status: number, message: string) {
    super("http_status", ExitCode.failure, message);
    this.status = status;
  }
}

/**
 * Calls `request.url` with the profile's access token; writes the answer to
 * `output`. Resolves for 2xx; otherwise throws: 401/403 after the retry is
 * {@linkcode NotLoggedInError} (exit 4), another status
 * {@linkcode HttpStatusError} (exit 1), a network failure
 * {@linkcode ProviderError} (exit 3).
 */
export async function callApi(
  deps: Pick<AppDeps, "store" | "clock" | "locks" | "signal" | "network">,
  settings: Settings,
  request: ApiRequest,
  output: ApiOutput,
): Promise<void> {
  const target = checkUrl(request.url);
  for (const [name] of request.headers) {
    if (name.toLowerCase() === "authorization") {
      throw new UsageError(
        "authorization_header",
        `--header "${name}: …" is refused: api sends the profile's token itself.`,
      );
    }
  }
  const http = new Http(deps.network, deps.signal);
  let credential = await getToken(deps, settings);
  const proof = credential.dpop ? await dpopSender(credential) : undefined;
  let response = await send(
    http,
    target,
    request,
    credential.accessToken,
    proof,
  );
  if (response.status === 401 && invalidToken(response)) {
    // The token was refused before it expired (revoked, or the server's
    // clock): one refresh, one retry.
    await response.body?.cancel();
    credential = await getToken(deps, settings, { forceRefresh: true });
    response = await send(
      http,
      target,
      request,
      credential.accessToken,
      credential.dpop ? await dpopSender(credential) : undefined,
    );
  }
  output.head?.(
    `HTTP ${response.status} ${response.statusText}\n${
      [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n")
    }\n\n`,
  );
  if (response.body) {
    for await (const chunk of response.body) output.body(chunk);
  }
  if (response.status === 401 || response.status === 403) {
    throw new NotLoggedInError(
      "api_token_refused",
      `${target.origin} refused the token (HTTP ${response.status}${
        response.headers.get("www-authenticate")
          ? `: ${response.headers.get("www-authenticate")!.slice(0, 200)}`
          : ""
      }).`,
    );
  }
  if (response.status < 200 || response.status > 299) {
    throw new HttpStatusError(
      response.status,
      `HTTP ${response.status} ${response.statusText} from ${target.href}`,
    );
  }
}

/**
 * The two header lines one request needs with a DPoP-bound token (RFC 9449
 * §7.1): `Authorization: DPoP <token>` and `DPoP: <proof>`, the proof made
 * for `method` and `url` only. `url` obeys the rule of {@linkcode callApi}.
 */
export async function dpopHeaderLines(
  credential: { accessToken: string; dpop?: DpopKey },
  method: string,
  url: string,
): Promise<string> {
  const target = checkUrl(url);
  if (!credential.dpop) {
    return `Authorization: Bearer ${credential.accessToken}\n`;
  }
  const { dpopProof } = await import("../oauth/dpop.ts");
  const proof = await dpopProof(
    credential.dpop,
    method.toUpperCase(),
    target,
    credential.accessToken,
  );
  return `Authorization: DPoP ${credential.accessToken}\nDPoP: ${proof}\n`;
}

/** https, or http to this machine only: the token never crosses in clear. */
function checkUrl(url: string): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new UsageError("invalid_url", `Invalid URL "${url}".`);
  }
  if (
    target.protocol !== "https:" &&
    !(target.protocol === "http:" && isLoopbackHost(target.hostname))
  ) {
    throw new UsageError(
      "insecure_url",
      `Refusing to send the token to "${url}": use https (http only on loopback addresses).`,
    );
  }
  return target;
}

function invalidToken(response: Response): boolean {
  const challenge = response.headers.get("www-authenticate") ?? "";
  // DPoP's own nonce challenge is answered by the sender, not a refresh.
  if (/use_dpop_nonce/i.test(challenge)) return false;
  return /error\s*=\s*"?invalid_token/i.test(challenge);
}

/**
 * Sends one request with a DPoP-bound token: oauth4webapi adds a fresh proof
 * (RFC 9449 §7) and remembers the API's nonce; a `use_dpop_nonce`
 * challenge gets one retry with it.
 */
type ProofSender = (
  http: Http,
  url: URL,
  method: string,
  headers: Headers,
  body: Uint8Array | undefined,
  token: string,
) => Promise<Response>;

async function dpopSender(
  credential: { dpop?: DpopKey },
): Promise<ProofSender> {
  const oauth = await import("oauth4webapi");
  const { importDpopKey } = await import("../oauth/dpop.ts");
  const handle = oauth.DPoP({}, await importDpopKey(credential.dpop!));
  return async (http, url, method, headers, body, token) => {
    headers.delete("authorization");
    const once = () =>
      oauth.protectedResourceRequest(token, method, url, headers, body, {
        DPoP: handle,
        [oauth.customFetch]: (u: string, init: { body?: unknown }) =>
          http.stream(u, init as Parameters<Http["stream"]>[1]),
        [oauth.allowInsecureRequests]: url.protocol === "http:",
      });
    try {
      return await once();
    } catch (err) {
      if (oauth.isDPoPNonceError(err)) {
        try {
          return await once();
        } catch (again) {
          if (again instanceof oauth.WWWAuthenticateChallengeError) {
            return again.response;
          }
          throw again;
        }
      }
      // Any other challenge: the answer itself, judged by the caller.
      if (err instanceof oauth.WWWAuthenticateChallengeError) {
        return err.response;
      }
      throw err;
    }
  };
}

/** One exchange, redirects followed by hand: the token stays in its origin. */
async function send(
  http: Http,
  target: URL,
  request: ApiRequest,
  token: string,
  proof?: ProofSender,
): Promise<Response> {
  let url = target;
  let method = request.method;
  let body = request.body;
  for (let hop = 0;; hop++) {
    const headers = new Headers(request.headers);
    if (url.origin === target.origin) {
      headers.set("authorization", `Bearer ${token}`);
    }
    let response: Response;
    try {
      response = proof && url.origin === target.origin
        ? await proof(http, url, method, headers, body, token)
        : await http.stream(url.href, {
          method,
          headers,
          body: body as BodyInit | undefined,
        });
    } catch (err) {
      if (err instanceof AuthctlError) throw err;
      throw new ProviderError(
        "unreachable",
        `Cannot reach "${url.href}": ${(err as Error).message}.`,
        { cause: err },
      );
    }
    const location = response.headers.get("location");
    if (response.status < 300 || response.status > 399 || !location) {
      return response;
    }
    await response.body?.cancel();
    if (hop >= MAX_REDIRECTS) {
      throw new ProviderError(
        "too_many_redirects",
        `More than ${MAX_REDIRECTS} redirects from "${target.href}".`,
      );
    }
    const next = new URL(location, url);
    if (
      next.protocol !== "https:" &&
      !(next.protocol === "http:" && isLoopbackHost(next.hostname))
    ) {
      throw new ProviderError(
        "insecure_redirect",
        `"${url.href}" redirects to "${next.href}", which is not https.`,
      );
    }
    // 303 (and 301/302 after a POST, as browsers do) become a GET.
    if (
      response.status === 303 ||
      ((response.status === 301 || response.status === 302) &&
        method === "POST")
    ) {
      method = "GET";
      body = undefined;
    }
    url = next;
  }
}
