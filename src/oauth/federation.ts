/**
 * Grants without a person: a CI job's own OIDC token exchanged at the
 * provider (RFC 8693 token exchange, an RFC 7523 client assertion, the RFC
 * 7523 jwt-bearer grant), and the client credentials grant of a service
 * account. None brings a refresh token: when the access token runs low, the
 * caller obtains a new CI token and calls the same step again.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import * as jose from "jose";
import { ProviderError, stripControl } from "../errors.ts";
import { descriptionOf, toAuthctlError } from "./failure.ts";
import { resourceParams } from "./policy.ts";
import {
  checkBound,
  clientAuth,
  clientOf,
  type ProviderSession,
  skewError,
  timedClient,
  tokenRequestOptions,
  type TokenSet,
  withDpopNonce,
} from "./session.ts";

/** The grant type of RFC 8693. */
export const TOKEN_EXCHANGE_GRANT =
  "urn:ietf:params:oauth:grant-type:token-exchange";

/** The grant type of RFC 7523 §2.1. */
export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** RFC 8693's token type of a JWT (the default subject token type). */
export const JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";

/** The client assertion type of RFC 7523 §2.2. */
export const JWT_BEARER_ASSERTION =
  "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** What a grant without a person asks for. */
export interface UnattendedRequest {
  /**
   * The scopes, exactly as configured: these grants never add the
   * interactive ones (`openid`, `offline_access`, a preset's defaults);
   * Entra refuses a mix.
   */
  scopes: readonly string[];
  /** `audience` of a token exchange, when set. */
  audience?: string;
}

/**
 * Exchanges a CI token at the token endpoint: `subject_token` and
 * `subject_token_type` (the profile's, default a JWT), with `audience`,
 * `resource`, `scope` and `requested_token_type` where configured, and the
 * client's authentication only where it has some (Google's STS takes none).
 * Next: nothing; call again with a new CI token when this one runs low.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8693.html#section-2.1}
 */
export async function tokenExchangeGrant(
  session: ProviderSession,
  subjectToken: string,
  request: UnattendedRequest,
): Promise<TokenSet> {
  const params = grantParams(session, request);
  params.set("subject_token", subjectToken);
  params.set(
    "subject_token_type",
    session.settings.subjectTokenType ?? JWT_TOKEN_TYPE,
  );
  if (request.audience) params.set("audience", request.audience);
  if (session.settings.requestedTokenType) {
    params.set("requested_token_type", session.settings.requestedTokenType);
  }
  const [client, auth] = optionalClient(session);
  return await unattended(
    session,
    "token exchange",
    subjectToken,
    () =>
      oauth.genericTokenEndpointRequest(
        session.metadata,
        client,
        auth,
        TOKEN_EXCHANGE_GRANT,
        params,
        tokenRequestOptions(session, false),
      ),
    client,
  );
}

/**
 * The client credentials grant with the CI token as the client's assertion
 * (`client_assertion_type` jwt-bearer): how Entra ID's federated
 * credentials take a CI token. The CI token's `aud` must be what the
 * provider expects (`api://AzureADTokenExchange` for Entra).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7523.html#section-2.2}
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.4}
 */
export async function clientAssertionGrant(
  session: ProviderSession,
  assertion: string,
  request: UnattendedRequest,
): Promise<TokenSet> {
  const params = grantParams(session, request);
  const withAssertion: oauth.ClientAuth = (_as, client, body) => {
    body.set("client_id", client.client_id);
    body.set("client_assertion_type", JWT_BEARER_ASSERTION);
    body.set("client_assertion", assertion);
  };
  return await unattended(
    session,
    "client assertion",
    assertion,
    () =>
      oauth.clientCredentialsGrantRequest(
        session.metadata,
        clientOf(session),
        withAssertion,
        params,
        tokenRequestOptions(session, false),
      ),
  );
}

/**
 * The jwt-bearer grant: the CI token as the `assertion` (Ory Hydra with a
 * trusted issuer, and others), with the client's authentication where it
 * has some.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7523.html#section-2.1}
 */
export async function jwtBearerGrant(
  session: ProviderSession,
  assertion: string,
  request: UnattendedRequest,
): Promise<TokenSet> {
  const params = grantParams(session, request);
  params.set("assertion", assertion);
  const [client, auth] = optionalClient(session);
  return await unattended(
    session,
    "jwt-bearer grant",
    assertion,
    () =>
      oauth.genericTokenEndpointRequest(
        session.metadata,
        client,
        auth,
        JWT_BEARER_GRANT,
        params,
        tokenRequestOptions(session, false),
      ),
    client,
  );
}

/**
 * The client credentials grant of a service account: the client's secret
 * (`client_secret_post`, `client_secret_basic`) or its signed assertion
 * (`private_key_jwt`, see {@linkcode withClientKey}).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.4}
 */
export async function clientCredentialsGrant(
  session: ProviderSession,
  request: UnattendedRequest,
): Promise<TokenSet> {
  const params = grantParams(session, request);
  return await unattended(
    session,
    "client credentials grant",
    undefined,
    () =>
      oauth.clientCredentialsGrantRequest(
        session.metadata,
        clientOf(session),
        clientAuth(session),
        params,
        tokenRequestOptions(session, false),
      ),
  );
}

/**
 * oauth4webapi holds a client ID even for a request that names none; this
 * one is never sent (see {@linkcode optionalClient}).
 */
const NO_CLIENT_ID = "urn:authctl:no-client";

/** Sends nothing: a request from no client (Google's STS takes none). */
const noClientAuth: oauth.ClientAuth = () => {};

/**
 * The client and its authentication for a grant where a client is
 * optional (token exchange, jwt-bearer): the configured one, or, with no
 * client ID configured, none at all: no `client_id`, no credentials.
 */
function optionalClient(
  session: ProviderSession,
): [oauth.Client, oauth.ClientAuth] {
  if (session.clientId) return [clientOf(session), clientAuth(session)];
  return [{ ...clientOf(session), client_id: NO_CLIENT_ID }, noClientAuth];
}

/** `scope` and the RFC 8707 resources, as every one of these grants sends. */
function grantParams(
  session: ProviderSession,
  request: UnattendedRequest,
): URLSearchParams {
  const params = resourceParams(session.settings);
  if (request.scopes.length) params.set("scope", request.scopes.join(" "));
  return params;
}

/**
 * Sends one of these grants and reads its answer; a refusal names the
 * claims the provider saw in `assertion` (never the token itself), and the
 * preset's hint for the error code it gave.
 */
async function unattended(
  session: ProviderSession,
  what: string,
  assertion: string | undefined,
  send: () => Promise<Response>,
  client: oauth.Client = clientOf(session),
): Promise<TokenSet> {
  let result: oauth.TokenEndpointResponse;
  try {
    result = await withDpopNonce(session, async () => {
      const response = await send();
      return await oauth.processGenericTokenEndpointResponse(
        session.metadata,
        { ...timedClient(session), client_id: client.client_id },
        response,
      );
    });
    checkBound(session, result);
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) {
      throw refusal(session, what, err, assertion);
    }
    throw skewError(session, err) ??
      toAuthctlError(err, `${what} response`, session.signal);
  }
  return {
    accessToken: result.access_token,
    tokenType: result.token_type,
    expiresIn: result.expires_in,
    refreshToken: result.refresh_token,
    scope: result.scope,
  };
}

/** The error for a refused grant: the provider's words, the claims, a hint. */
function refusal(
  session: ProviderSession,
  what: string,
  err: oauth.ResponseBodyError,
  assertion: string | undefined,
): ProviderError {
  const description = descriptionOf(err);
  const lines = [
    `The provider refused the ${what} (${
      stripControl(err.error)
    }${description}).`,
  ];
  if (assertion) lines.push(claimsLine(assertion));
  for (
    const [code, hint] of Object.entries(session.preset.exchangeHints ?? {})
  ) {
    if (description.includes(code)) {
      lines.push(`${code}: ${hint}.`);
      break;
    }
  }
  return new ProviderError("exchange_refused", lines.join("\n"), {
    cause: err,
  });
}

/** What the provider saw in the CI token: its issuer, subject, audience. */
export function claimsLine(token: string): string {
  let claims: jose.JWTPayload;
  try {
    claims = jose.decodeJwt(token);
  } catch {
    return "The CI token is not a JWT.";
  }
  const text = (v: unknown) =>
    v === undefined ? "(none)" : stripControl(JSON.stringify(v));
  return `The CI token it saw: iss ${text(claims.iss)}, sub ${
    text(claims.sub)
  }, aud ${text(claims.aud)}${
    typeof claims.exp === "number"
      ? `, exp ${new Date(claims.exp * 1000).toISOString()}`
      : ""
  }.`;
}
