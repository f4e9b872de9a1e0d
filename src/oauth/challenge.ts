/**
 * `WWW-Authenticate` challenges (RFC 9110 §11.6.1) of a response already
 * received, parsed by oauth4webapi: what a protected resource says about
 * where to log in (RFC 9728 §5.1, `resource_metadata`) and what it needs
 * (RFC 6750 §3, `error` and `scope`).
 *
 * @module
 */

import * as oauth from "oauth4webapi";

/** One challenge: its scheme (lower case) and its parameters. */
export interface Challenge {
  scheme: string;
  parameters: Readonly<Record<string, string | undefined>>;
}

/**
 * The challenges of `response`'s `WWW-Authenticate` header; none when it has
 * no header or one that does not parse. Nothing is sent: oauth4webapi's
 * parser runs over the response as its resource-request step would.
 */
export async function challengesOf(response: Response): Promise<Challenge[]> {
  if (!response.headers.has("www-authenticate")) return [];
  // Only the head is handed over: the body stays with the caller.
  const head = new Response(null, {
    status: response.status,
    headers: response.headers,
  });
  try {
    await oauth.protectedResourceRequest(
      "parse-only",
      "GET",
      new URL("https://challenge.invalid/"),
      undefined,
      undefined,
      { [oauth.customFetch]: () => Promise.resolve(head) },
    );
  } catch (err) {
    if (err instanceof oauth.WWWAuthenticateChallengeError) {
      return err.cause.map((c) => ({
        scheme: c.scheme,
        parameters: { ...c.parameters } as Record<string, string | undefined>,
      }));
    }
    throw err;
  }
  return [];
}

/** The `Bearer` (or `DPoP`) challenge's parameters, when there is one. */
export function tokenChallenge(
  challenges: Challenge[],
): Challenge["parameters"] | undefined {
  return (challenges.find((c) => c.scheme === "bearer") ??
    challenges.find((c) => c.scheme === "dpop"))?.parameters;
}

/**
 * Whether `s` is an RFC 6749 §3.3 scope-token: what a server's scope lists
 * are filtered to before they reach the terminal, a request or a file.
 */
export function isScopeToken(s: unknown): s is string {
  return typeof s === "string" && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s);
}
