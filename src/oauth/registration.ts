/**
 * A client ID without pre-registration: RFC 7591 dynamic client
 * registration as a public native client, and a check that a registration
 * made earlier is still known to the provider.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import { ProviderError, stripControl } from "../errors.ts";
import { toAuthctlError } from "./failure.ts";
import { randomToken } from "./pkce.ts";
import { DEVICE_CODE_GRANT } from "./policy.ts";
import {
  clientOf,
  type ProviderSession,
  requestOptions,
  tokenRequestOptions,
} from "./session.ts";

/** What authctl asks to be registered as. */
export interface ClientRegistrationRequest {
  /** `client_name`: the build's name (authctl, acmectl…). */
  clientName: string;
  /** Loopback redirect URIs (RFC 8252 §7.3: any port). */
  redirectUris: string[];
  /** Ask for the device grant too (the provider offers it). */
  deviceGrant: boolean;
}

/** A registration the provider accepted. */
export interface RegisteredClient {
  clientId: string;
  /** `client_id_issued_at`, in ms, when the provider said. */
  issuedAt?: number;
  /** The redirect URIs registered. */
  redirectUris: string[];
  /** The grant types registered. */
  grantTypes: string[];
}

/**
 * What the provider's admin must allow, for messages.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7591.html#section-2}
 */
export function registrationAdvice(clientName: string): string {
  return `Ask the server's admin to allow dynamic client registration (RFC 7591) of public native clients: token_endpoint_auth_method "none", loopback redirect URIs (http://127.0.0.1/callback on any port), the authorization_code and refresh_token grants. Or have a client registered for ${clientName} and give its ID with --client-id.`;
}

/**
 * Registers a public native client (RFC 7591 §3.1): no secret
 * (`token_endpoint_auth_method` `none`), loopback redirect URIs, the code and
 * refresh grants, and the device grant when asked. A refusal is a
 * {@linkcode ProviderError} that says what the server's admin must allow.
 * Next: {@linkcode withClient} with the client ID it returns.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7591.html#section-3.1}
 */
export async function registerClient(
  session: ProviderSession,
  request: ClientRegistrationRequest,
): Promise<RegisteredClient> {
  const metadata = session.metadata;
  const options = { ...requestOptions(session), signal: session.signal };
  const where = `"${metadata.issuer}"`;
  if (!metadata.registration_endpoint) {
    throw new ProviderError(
      "registration_unsupported",
      `The authorization server ${where} offers no dynamic client registration (no registration_endpoint in its metadata). ${
        registrationAdvice(request.clientName)
      }`,
    );
  }
  const grantTypes = [
    "authorization_code",
    "refresh_token",
    ...(request.deviceGrant ? [DEVICE_CODE_GRANT] : []),
  ];
  let client: oauth.OmitSymbolProperties<oauth.Client>;
  try {
    const response = await oauth.dynamicClientRegistrationRequest(metadata, {
      client_name: request.clientName,
      application_type: "native",
      token_endpoint_auth_method: "none",
      redirect_uris: request.redirectUris,
      grant_types: grantTypes,
      response_types: ["code"],
    }, options);
    client = await oauth.processDynamicClientRegistrationResponse(response);
  } catch (err) {
    throw refusal(err, where, request.clientName, options.signal);
  }
  const method = client.token_endpoint_auth_method;
  if (method !== undefined && method !== "none") {
    throw new ProviderError(
      "registration_refused",
      `The authorization server ${where} registered a confidential client (token_endpoint_auth_method "${
        stripControl(String(method))
      }") instead of a public one; a command-line tool cannot keep a secret, so it is not used. ${
        registrationAdvice(request.clientName)
      }`,
    );
  }
  return {
    clientId: client.client_id,
    issuedAt: typeof client.client_id_issued_at === "number"
      ? client.client_id_issued_at * 1000
      : undefined,
    redirectUris: Array.isArray(client.redirect_uris)
      ? client.redirect_uris as string[]
      : request.redirectUris,
    grantTypes: Array.isArray(client.grant_types)
      ? client.grant_types as string[]
      : grantTypes,
  };
}

function refusal(
  err: unknown,
  where: string,
  clientName: string,
  signal?: AbortSignal,
) {
  let reason: string | undefined;
  if (err instanceof oauth.ResponseBodyError) {
    reason = `${err.error}${
      err.error_description ? `: ${err.error_description}` : ""
    }`;
  } else if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const p = err.cause[0]?.parameters ?? {};
    reason = `HTTP ${err.status}${p.error ? `, ${p.error}` : ""}${
      err.status === 401 ? ", an initial access token is required" : ""
    }`;
  } else if (
    err instanceof oauth.OperationProcessingError &&
    err.code === oauth.RESPONSE_IS_NOT_CONFORM &&
    err.cause instanceof Response
  ) {
    reason = `HTTP ${err.cause.status}`;
  }
  if (reason === undefined) {
    return toAuthctlError(err, "client registration", signal);
  }
  return new ProviderError(
    "registration_refused",
    `The authorization server ${where} refused to register ${clientName} as a client (${
      stripControl(reason).slice(0, 300)
    }). ${registrationAdvice(clientName)}`,
    { cause: err },
  );
}

/**
 * Whether the provider still knows `client` (a registration kept from an
 * earlier login), asked before anyone is sent to the browser: a refresh
 * request with a random refresh token, which carries nothing of the user's.
 * `invalid_client` means the provider forgot the registration; any other
 * refusal (`invalid_grant`, as expected) means it knows the client.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-5.2}
 */
export async function clientIsKnown(
  session: ProviderSession,
): Promise<boolean> {
  const metadata = session.metadata;
  const client = clientOf(session);
  const options = {
    ...tokenRequestOptions(session, false),
    signal: session.signal,
  };
  try {
    const response = await oauth.refreshTokenGrantRequest(
      metadata,
      client,
      oauth.None(),
      randomToken(),
      options,
    );
    await oauth.processRefreshTokenResponse(metadata, client, response);
    return true;
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) {
      return err.error !== "invalid_client";
    }
    if (err instanceof oauth.WWWAuthenticateChallengeError) {
      return !err.cause.some((c) => c.parameters.error === "invalid_client");
    }
    throw toAuthctlError(err, "token endpoint", options.signal);
  }
}
