/**
 * authctl as a library, for Deno programs that want the same login inside
 * their own binary, and for backends that accept the ID tokens CLIs present.
 *
 * ```ts
 * import { getAccessToken, login } from "@authctl/authctl";
 *
 * const app = {
 *   name: "acmectl",
 *   issuer: "https://login.acme.example",
 *   clientId: "acme-cli",
 * };
 * await login(app); // browser, device code or paste: whatever suits the machine
 * const token = await getAccessToken(app); // refreshed when needed
 * ```
 *
 * ```ts
 * import { verifyCliIdToken } from "@authctl/authctl";
 *
 * const claims = await verifyCliIdToken(idToken, {
 *   issuer: "https://login.acme.example",
 *   audiences: ["acme-cli"],
 * });
 * ```
 *
 * See `examples/` for runnable programs.
 *
 * @module
 */

export {
  type AuthOptions,
  type EmbeddedLoginOptions,
  getAccessToken,
  getIdToken,
  login,
  logout,
  type Prompts,
  status,
  type TokenRequestOptions,
} from "./src/app/embed.ts";
export type { LoginResult } from "./src/app/login.ts";
export type { LogoutResult } from "./src/app/logout.ts";
export type { AccessTokenState, StatusReport } from "./src/app/status.ts";
export {
  type CliIdTokenClaims,
  createCliIdTokenVerifier,
  IdTokenRejectedError,
  type JwtClaims,
  verifyCliIdToken,
  type VerifyCliIdTokenOptions,
} from "./src/oauth/verify.ts";
export { AuthctlError, ExitCode, NotLoggedInError } from "./src/errors.ts";
export type { Revocation } from "./src/app/logout.ts";
export {
  EXCHANGE_METHODS,
  type ExchangeMethod,
  PROVIDER_NAMES,
  STORAGE_MODES,
  type StorageMode,
} from "./src/config/modes.ts";
export type {
  ClientAuthMethod,
  DpopMode,
  ProviderName,
  ProviderSettings,
} from "./src/config/provider_settings.ts";
export type {
  CredentialOrigin,
  DpopKey,
  FederatedOrigin,
  IdentityClaims,
  StoredCredential,
  StoreLocation,
} from "./src/store/types.ts";
export type { NetworkOptions } from "./src/oauth/http.ts";
