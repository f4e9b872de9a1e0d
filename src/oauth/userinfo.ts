/**
 * Who logged in, from a userinfo answer (OpenID Connect) or an API's
 * profile route (plain OAuth 2.0: Passport's `/api/v1/profile`, GitHub's
 * `/user`).
 *
 * @module
 */

import type { IdentityClaims } from "../store/types.ts";

/**
 * Who logged in, from a profile or userinfo answer: `sub` (or `id`), `name`,
 * `email`, `preferred_username` (or GitHub's `login`).
 */
export function identityFrom(info: Record<string, unknown>): IdentityClaims {
  const str = (k: string) =>
    typeof info[k] === "string" && info[k] !== ""
      ? info[k] as string
      : undefined;
  const id = typeof info.id === "number" || typeof info.id === "string"
    ? String(info.id)
    : undefined;
  return {
    sub: str("sub") ?? id ?? "",
    name: str("name"),
    email: str("email"),
    preferred_username: str("preferred_username") ?? str("login"),
  };
}
