/**
 * The api use case: call any API with the profile's access token, as
 * `gh api` does for GitHub. The token is refreshed first when it expires
 * soon; an answer of 401 whose `WWW-Authenticate` says `invalid_token` gets
 * one refresh and one retry, never more. Redirects to another origin are
 * followed without the token. A token obtained for a resource (RFC 8707) is
 * sent only to URLs under that resource. An answer of 403 whose challenge
 * says `insufficient_scope` steps up once: on a terminal, a new login with
 * the scopes the API asked for as well; elsewhere, exit 4 with the command
 * to run.
 *
 * @module
 */

import { resourceCovers, type Settings } from "../config/settings.ts";
import {
  AuthctlError,
  ErrorCode,
  ExitCode,
  NotLoggedInError,
  ProviderError,
  UsageError,
} from "../errors.ts";
import { Http } from "../oauth/http.ts";
import { requireSecureUrl } from "../platform/env.ts";
import type { DpopKey, StoredCredential } from "../store/types.ts";
import type { AppDeps, TokenDeps } from "./deps.ts";
import { canRefresh, notLoggedIn } from "./credential.ts";
import { retireAccessToken } from "./refresh.ts";
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

/** Options of {@linkcode callApi}. */
export interface ApiOptions {
  /**
   * Logs in again with `scopes` added to the profile's, when an answer says
   * `insufficient_scope` (on a terminal); resolves with the settings to
   * retry with. Without it, such an answer is exit 4 with the command.
   */
  stepUp?: (scopes: string[], settings: Settings) => Promise<Settings>;
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
  deps: TokenDeps,
  settings: Settings,
  request: ApiRequest,
  output: ApiOutput,
  options: ApiOptions = {},
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
  const sendWith = async (credential: StoredCredential) =>
    await send(
      http,
      target,
      request,
      credential.accessToken,
      credential.dpop ? await dpopSender(credential) : undefined,
    );
  let credential = await getToken(deps, settings);
  checkResource(credential, settings, target);
  let response = await sendWith(credential);
  const needed = await insufficientScope(response);
  if (needed && options.stepUp) {
    // Once: a second refusal is reported as it is.
    await response.body?.cancel();
    settings = await options.stepUp(needed, settings);
    credential = await getToken(deps, settings);
    checkResource(credential, settings, target);
    response = await sendWith(credential);
  } else if (needed) {
    await writeAnswer(response, output);
    const union = [...new Set([...settings.scopes, ...needed])].join(" ");
    const byResource = !settings.issuer &&
      (settings.provider.resources?.length ?? 0) > 0;
    // A login by resource keeps its --scope in the profile; elsewhere the
    // profile's own scopes must name them, or the new token would not
    // match it.
    const fix = byResource || settings.sources.scopes !== "profile"
      ? `${settings.appName} login --profile ${settings.profile} --scope "${union}"`
      : `set scopes = "${union}" in profile "${settings.profile}" of config.toml, then ${settings.appName} login --profile ${settings.profile}`;
    throw new NotLoggedInError(
      "insufficient_scope",
      `${target.origin} needs the scope "${
        needed.join(" ")
      }" for this request (HTTP 403, insufficient_scope), more than the token of profile "${settings.profile}" has. On a terminal, api logs in again by itself; here, run: ${fix}`,
    );
  }
  if (response.status === 401 && invalidToken(response)) {
    // The token was refused before it expired (revoked, the server's clock,
    // or a token whose lifetime was never stated): one refresh, one retry.
    await response.body?.cancel();
    if (!settings.envToken && !canRefresh(credential)) {
      throw await retireRefused(deps, settings, credential, response);
    }
    credential = await getToken(deps, settings, { forceRefresh: true });
    response = await sendWith(credential);
  }
  await writeAnswer(response, output);
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
 * A refused access token that no refresh can renew: kept for `status`,
 * marked so nothing hands it out again, and the login that replaces it.
 */
async function retireRefused(
  deps: Pick<AppDeps, "store" | "clock" | "locks" | "signal">,
  settings: Settings,
  credential: StoredCredential,
  response: Response,
): Promise<NotLoggedInError> {
  await retireAccessToken(deps, settings, credential.accessToken);
  return notLoggedIn(
    settings,
    `The server refused the access token of profile "${settings.profile}" (HTTP 401: ${
      response.headers.get("www-authenticate")!.slice(0, 200)
    }), and there is no refresh token to renew it.`,
    "api_token_refused",
  );
}

/** The status line and headers (when asked), then the body, streamed. */
async function writeAnswer(response: Response, output: ApiOutput) {
  output.head?.(
    `HTTP ${response.status} ${response.statusText}\n${
      [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n")
    }\n\n`,
  );
  if (response.body) {
    for await (const chunk of response.body) output.body(chunk);
  }
}

/**
 * The scopes a `403` asks for (RFC 6750 §3.1 `insufficient_scope` with a
 * `scope`), or undefined for any other answer.
 */
async function insufficientScope(
  response: Response,
): Promise<string[] | undefined> {
  if (response.status !== 403) return undefined;
  const { challengesOf, isScopeToken, tokenChallenge } = await import(
    "../oauth/challenge.ts"
  );
  const challenge = tokenChallenge(await challengesOf(response));
  if (challenge?.error !== "insufficient_scope") return undefined;
  const scopes = (challenge.scope ?? "").split(" ").filter(isScopeToken);
  return scopes.length ? scopes : undefined;
}

/**
 * Refuses to send a token obtained for a resource (RFC 8707) anywhere but
 * under that resource.
 */
function checkResource(
  credential: { provider?: { resources?: string[] } },
  settings: Settings,
  target: URL,
) {
  const profile = settings.profile;
  const resources = credential.provider?.resources ?? [];
  const covered = resources.some((r) => {
    try {
      return resourceCovers(new URL(r), target);
    } catch {
      return false;
    }
  });
  if (resources.length && !covered) {
    throw new UsageError(
      "wrong_resource",
      `The token of profile "${profile}" was obtained for ${
        resources.map((r) => `"${r}"`).join(", ")
      }, so it is not sent to "${target.href}". Log in to that resource: ${settings.appName} login --resource URL`,
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
  return requireSecureUrl(target, () =>
    new UsageError(
      "insecure_url",
      `Refusing to send the token to "${url}": use https (http only on loopback addresses).`,
    ));
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
        ErrorCode.unreachable,
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
    requireSecureUrl(next, () =>
      new ProviderError(
        "insecure_redirect",
        `"${url.href}" redirects to "${next.href}", which is not https.`,
      ));
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
