/**
 * authctl as a library: the use cases behind the CLI, for other Deno
 * programs that want the same login.
 *
 * @module
 */

export { login, type LoginOptions, type LoginResult } from "./src/app/login.ts";
export { getToken, type TokenOptions } from "./src/app/token.ts";
export { status, type StatusReport } from "./src/app/status.ts";
export { logout, type LogoutResult } from "./src/app/logout.ts";
export type { AppDeps } from "./src/app/deps.ts";
export { resolveSettings, type Settings } from "./src/config/settings.ts";
export {
  createStore,
  type CredentialStore,
  type StoredCredential,
} from "./src/store/mod.ts";
export { AuthctlError, ExitCode } from "./src/errors.ts";
