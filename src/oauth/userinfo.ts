/**
 * Who the tokens belong to, asked of the provider: the userinfo endpoint
 * (OpenID Connect Core §5.3) or, for plain OAuth 2.0, an API's profile route
 * (Passport's `/api/v1/profile`, GitHub's `/user`).
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import { NotLoggedInError, ProviderError, UsageError } from "../errors.ts";
import { identityFrom, withKnownClaims } from "../store/identity.ts";
import { toAuthctlError } from "./failure.ts";
import {
  call,
  clientOf,
  type ProviderSession,
  requestOptions,
  type TokenSet,
} from "./session.ts";

/**
 * Calls the userinfo endpoint (or, for plain OAuth 2.0, the profile
 * endpoint) with an access token, to check a token given by the user. A
 * token the endpoint refuses (401/403) is a {@linkcode NotLoggedInError}.
 *
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#UserInfo}
 */
export async function userInfoRequest(
  session: ProviderSession,
  accessToken: string,
): Promise<Record<string, unknown>> {
  if (session.kind === "oauth2") {
    const info = await profileRequest(session, accessToken);
    return { ...info, ...identityFrom(info) };
  }
  let response: Response;
  try {
    response = await oauth.userInfoRequest(
      session.metadata,
      clientOf(session),
      accessToken,
      requestOptions(session),
    );
  } catch (err) {
    throw toAuthctlError(err, "userinfo", session.signal);
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    throw new NotLoggedInError(
      "token_rejected",
      `The provider's userinfo endpoint rejected the token (HTTP ${response.status}).`,
    );
  }
  return await call(
    session,
    "userinfo response",
    () =>
      oauth.processUserInfoResponse(
        session.metadata,
        clientOf(session),
        oauth.skipSubjectCheck,
        response,
      ),
  );
}

/**
 * Completes a grant's identity from the userinfo endpoint: its `sub` must
 * be the ID token's (else the login is refused); any other failure leaves
 * the identity as the ID token gave it. For plain OAuth 2.0, who logged in
 * comes from the profile endpoint alone. Tokens for a resource (RFC 8707)
 * are that resource's, not userinfo's: left as they are.
 *
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse}
 */
export async function withUserinfo(
  session: ProviderSession,
  tokens: TokenSet,
): Promise<TokenSet> {
  if (session.kind === "oauth2") {
    if (!session.metadata.userinfo_endpoint) return tokens;
    return {
      ...tokens,
      identity: identityFrom(
        await profileRequest(session, tokens.accessToken),
      ),
    };
  }
  if (
    !session.metadata.userinfo_endpoint || !tokens.identity?.sub ||
    session.settings.resources?.length
  ) {
    return tokens;
  }
  let info: oauth.UserInfoResponse;
  try {
    const response = await oauth.userInfoRequest(
      session.metadata,
      clientOf(session),
      tokens.accessToken,
      requestOptions(session),
    );
    info = await oauth.processUserInfoResponse(
      session.metadata,
      clientOf(session),
      tokens.identity.sub,
      response,
    );
  } catch (err) {
    if (
      err instanceof oauth.OperationProcessingError &&
      err.code === oauth.JSON_ATTRIBUTE_COMPARISON
    ) {
      throw new ProviderError(
        "userinfo_subject_mismatch",
        `The provider's userinfo endpoint names another user than the ID token; the login is refused.`,
        { cause: err },
      );
    }
    if (session.signal?.aborted) {
      throw toAuthctlError(err, "userinfo", session.signal);
    }
    return tokens;
  }
  return {
    ...tokens,
    identity: withKnownClaims(tokens.identity, identityFrom(info)),
  };
}

/**
 * GET the profile endpoint (`userinfo_endpoint`) with the access token. A
 * refused token is a {@linkcode NotLoggedInError}.
 */
async function profileRequest(
  session: ProviderSession,
  accessToken: string,
): Promise<Record<string, unknown>> {
  const url = session.metadata.userinfo_endpoint;
  if (!url) {
    throw new UsageError(
      "no_userinfo_endpoint",
      `The provider "${session.issuer}" has no userinfo endpoint to check a token with. Set userinfo_endpoint (a route that answers with the user), or give --validate-url.`,
    );
  }
  const response = await call(
    session,
    "profile request",
    () =>
      session.http.fetch(url, {
        headers: {
          authorization: `Bearer ${accessToken}`,
          accept: "application/json",
        },
      }),
  );
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    throw new NotLoggedInError(
      "token_rejected",
      `The provider's profile endpoint rejected the token (HTTP ${response.status}).`,
    );
  }
  let body: unknown;
  try {
    body = response.ok ? await response.json() : undefined;
  } catch {
    body = undefined;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ProviderError(
      "invalid_response",
      `The provider's profile endpoint "${url}" answered HTTP ${response.status} without a JSON object describing the user.`,
    );
  }
  return body as Record<string, unknown>;
}
