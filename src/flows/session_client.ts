/**
 * The flows' clients over a protocol session: each method one protocol
 * step (see `oauth/mod.ts`), bound to the session.
 *
 * @module
 */

import {
  authorizationCodeGrant,
  authorizationUrl,
  deviceAuthorizationRequest,
  deviceCodeGrant,
  type ProviderSession,
  redirectShape,
  sendsIss,
  validateCallback,
} from "../oauth/mod.ts";
import type { AuthorizationCodeClient, DeviceClient } from "./types.ts";

/** The clients every flow needs, over one session. */
export function sessionClient(
  session: ProviderSession,
): AuthorizationCodeClient & DeviceClient {
  return {
    issuer: session.issuer,
    redirectShape: redirectShape(session),
    sendsIss: sendsIss(session.metadata),
    authorizationUrl: (request) => authorizationUrl(session, request),
    validateCallback: (params, state) =>
      validateCallback(session, params, state),
    exchangeCode: (callback, redirectUri, verifier, nonce) =>
      authorizationCodeGrant(session, callback, redirectUri, verifier, nonce),
    deviceAuthorization: (scopes, audience) =>
      deviceAuthorizationRequest(session, scopes, audience),
    pollDeviceCode: (code) => deviceCodeGrant(session, code),
  };
}
