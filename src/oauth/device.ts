/**
 * The device authorization grant (RFC 8628): start with
 * {@linkcode deviceAuthorizationRequest}, show the person the code, then
 * {@linkcode deviceCodeGrant} every `interval` seconds until it returns
 * tokens or throws.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import {
  ErrorCode,
  ProviderError,
  RefusedError,
  stripControl,
  TimeoutError,
  UsageError,
} from "../errors.ts";
import { withStandardVerificationUri } from "./device_response.ts";
import { descriptionOf, parseRetryAfter, toAuthctlError } from "./failure.ts";
import { tokenSetOf } from "./id_token.ts";
import { requestedScopes, resourceParams } from "./policy.ts";
import {
  checkBound,
  clientAuth,
  clientOf,
  type ProviderSession,
  skewError,
  timedClient,
  tokenRequestOptions,
  type TokenSet,
} from "./session.ts";
import { withUserinfo } from "./userinfo.ts";

/** A validated device authorization response. */
export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  /** Lifetime of the codes, in seconds (> 0). */
  expiresIn: number;
  /** Minimum seconds between polls, when the provider said. */
  interval?: number;
}

/** The outcome of one device-code poll that does not end the flow. */
export type DevicePoll =
  | { status: "tokens"; tokens: TokenSet }
  | { status: "pending" }
  | { status: "slow_down" }
  | { status: "retry"; reason: string; retryAfterMs?: number };

/** The errors with which a provider refuses a client the device flow. */
const CLIENT_REFUSALS = [
  "unauthorized_client",
  "invalid_client",
  "unsupported_grant_type",
  // oidc-provider: "… is not allowed for this client".
  "invalid_request",
];

/**
 * Starts a device authorization and validates the answer: `device_code`,
 * `user_code` and `verification_uri` (or the non-standard
 * `verification_url`) present, `expires_in` above zero. A provider that
 * refuses this client the flow is a `device_not_allowed` error naming the
 * other flows. Next: show the code, then {@linkcode deviceCodeGrant}.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628.html#section-3.1}
 */
export async function deviceAuthorizationRequest(
  session: ProviderSession,
  scopes: string[],
  audience: string,
): Promise<DeviceAuthorization> {
  if (!session.metadata.device_authorization_endpoint) {
    throw new UsageError(
      "device_not_supported",
      `The provider "${session.issuer}" has no device authorization endpoint. Use --flow loopback or --flow paste.`,
    );
  }
  const params = new URLSearchParams({
    scope: requestedScopes(session, scopes).join(" "),
  });
  if (audience) params.set("audience", audience);
  for (const [k, v] of resourceParams(session.settings)) params.append(k, v);
  try {
    const response = await oauth.deviceAuthorizationRequest(
      session.metadata,
      clientOf(session),
      clientAuth(session, "device"),
      params,
      tokenRequestOptions(session, false),
    );
    const result = await oauth.processDeviceAuthorizationResponse(
      session.metadata,
      clientOf(session),
      await withStandardVerificationUri(response),
    );
    if (!(result.expires_in > 0)) {
      throw new ProviderError(
        "invalid_response",
        `The provider's device authorization response has an invalid expires_in (${result.expires_in}).`,
      );
    }
    return {
      deviceCode: result.device_code,
      userCode: result.user_code,
      verificationUri: result.verification_uri,
      verificationUriComplete: result.verification_uri_complete,
      expiresIn: result.expires_in,
      interval: result.interval,
    };
  } catch (err) {
    if (
      err instanceof oauth.ResponseBodyError &&
      CLIENT_REFUSALS.includes(err.error)
    ) {
      throw new ProviderError(
        ErrorCode.deviceNotAllowed,
        `The provider does not let client "${session.clientId}" use the device flow (${
          stripControl(err.error)
        }${
          descriptionOf(err)
        }). Log in with --flow loopback (a browser on this machine) or --flow paste (a browser anywhere).`,
        { cause: err },
      );
    }
    throw toAuthctlError(err, "device authorization response", session.signal);
  }
}

/**
 * Polls the token endpoint once with a device code. `pending`, `slow_down`
 * and a provider out of reach (`retry`) let the flow poll again; the flow
 * ends by tokens, or by throwing on `access_denied` (RefusedError),
 * `expired_token` (TimeoutError) and any other error (ProviderError).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628.html#section-3.4}
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628.html#section-3.5}
 */
export async function deviceCodeGrant(
  session: ProviderSession,
  deviceCode: string,
): Promise<DevicePoll> {
  let response: Response;
  try {
    response = await oauth.deviceCodeGrantRequest(
      session.metadata,
      clientOf(session),
      clientAuth(session, "device"),
      deviceCode,
      tokenRequestOptions(session),
    );
  } catch (err) {
    const mapped = toAuthctlError(err, "token", session.signal);
    if (
      mapped.code === ErrorCode.unreachable ||
      mapped.code === ErrorCode.httpTimeout
    ) {
      return { status: "retry", reason: mapped.message };
    }
    throw mapped;
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    return {
      status: "retry",
      reason: `The token endpoint answered HTTP ${response.status}.`,
      retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
    };
  }
  try {
    const result = await oauth.processDeviceCodeResponse(
      session.metadata,
      timedClient(session),
      response,
    );
    checkBound(session, result);
    // No nonce is sent in the device flow: one in the ID token is refused.
    return {
      status: "tokens",
      tokens: await withUserinfo(
        session,
        await tokenSetOf(session, result, null),
      ),
    };
  } catch (err) {
    // A DPoP nonce challenge: the next poll carries the nonce.
    if (session.dpop && oauth.isDPoPNonceError(err)) {
      return { status: "pending" };
    }
    if (err instanceof oauth.ResponseBodyError) {
      switch (err.error) {
        case "authorization_pending":
          return { status: "pending" };
        case "slow_down":
          return { status: "slow_down" };
        case "access_denied":
          throw new RefusedError(
            "access_denied",
            "The login was denied at the provider.",
            { cause: err },
          );
        case "expired_token":
          throw new TimeoutError(
            "device_code_expired",
            "The code expired before it was approved. Run login again.",
            { cause: err },
          );
      }
    }
    throw skewError(session, err) ??
      toAuthctlError(err, "token response", session.signal);
  }
}
