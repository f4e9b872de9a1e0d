/**
 * The protocol layer: one function per protocol step, each over an
 * immutable {@linkcode ProviderSession}, in the style of oauth4webapi. A
 * login reads as a script:
 *
 * ```ts ignore
 * const session = await withDpop(await discover({ issuer, clientId }));
 * const { url } = await authorizationUrl(session, request);
 * // … the person approves in the browser; the callback arrives …
 * const params = validateCallback(session, callback, request.state);
 * const tokens = await authorizationCodeGrant(session, params, redirectUri, verifier, nonce);
 * ```
 *
 * Upper layers import this module lazily (`await import(".../oauth/mod.ts")`):
 * `authctl token` with a fresh token loads none of it.
 *
 * @module
 */

export {
  authorizationCodeGrant,
  type AuthorizationRequest,
  type AuthorizationUrl,
  authorizationUrl,
  validateCallback,
} from "./authorization.ts";
export {
  type DeviceAuthorization,
  deviceAuthorizationRequest,
  deviceCodeGrant,
  type DevicePoll,
} from "./device.ts";
export {
  discover,
  type DiscoveryOptions,
  metadataLocations,
} from "./discovery.ts";
export {
  idTokenAlgorithms,
  keySet,
  loadKeys,
  tokenSetOf,
  verifyIdToken,
} from "./id_token.ts";
export {
  canRevoke,
  clientAuthMethod,
  DEVICE_CODE_GRANT,
  pushesAuthorizationRequests,
  redirectShape,
  refreshHint,
  requestedScopes,
  sendsIss,
  supportsDeviceFlow,
} from "./policy.ts";
export {
  type RefreshExpectations,
  refreshTokenGrant,
  RefreshUnverifiedError,
  revocationRequest,
} from "./refresh.ts";
export {
  clientIsKnown,
  type ClientRegistrationRequest,
  registerClient,
  type RegisteredClient,
} from "./registration.ts";
export {
  clockNote,
  clockOffsetMs,
  createSession,
  MAX_CLOCK_CORRECTION_MS,
  type ProviderSession,
  type SessionInit,
  type TokenSet,
  withClient,
  withClientKey,
  withDpop,
} from "./session.ts";
export { userInfoRequest } from "./userinfo.ts";
export { withKnownClaims } from "../store/identity.ts";
export { createPkce, randomToken } from "./pkce.ts";
export {
  checkCiSource,
  CI_SOURCES,
  type CiToken,
  type CiTokenContext,
  describeCiSource,
  detectCi,
  fetchCiToken,
} from "./ci_token.ts";
export {
  claimsLine,
  clientAssertionGrant,
  clientCredentialsGrant,
  jwtBearerGrant,
  tokenExchangeGrant,
  type UnattendedRequest,
} from "./federation.ts";
