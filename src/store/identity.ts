/**
 * Who logged in: the one place that picks identity claims, from an ID
 * token's payload, a userinfo answer (OpenID Connect) or an API's profile
 * route (plain OAuth 2.0: Passport's `/api/v1/profile`, GitHub's `/user`),
 * and the one rule for combining what two sources say.
 *
 * @module
 */

import type { IdentityClaims } from "./types.ts";

/**
 * Who logged in, from claims: `sub` (or a profile's `id`), `name`, `email`,
 * `preferred_username` (or GitHub's `login`), and Entra's tenant `tid` when
 * `withTenant`. Empty strings count as unsaid.
 */
export function identityFrom(
  claims: Record<string, unknown>,
  withTenant = false,
): IdentityClaims {
  const str = (k: string) =>
    typeof claims[k] === "string" && claims[k] !== ""
      ? claims[k] as string
      : undefined;
  const id = typeof claims.id === "number" || typeof claims.id === "string"
    ? String(claims.id)
    : undefined;
  return {
    sub: str("sub") ?? id ?? "",
    name: str("name"),
    email: str("email"),
    preferred_username: str("preferred_username") ?? str("login"),
    ...(withTenant ? { tid: str("tid") } : {}),
  };
}

/**
 * What `said` says, completed by `known` when both name the same subject
 * (a refreshed ID token that carries only `sub`; an ID token without the
 * name userinfo gives). Another subject keeps nothing of `known`: two users
 * are never mixed.
 */
export function withKnownClaims(
  said: IdentityClaims | undefined,
  known: IdentityClaims | undefined,
): IdentityClaims | undefined {
  if (!said) return known;
  if (!known || known.sub !== said.sub) return said;
  const stated = Object.fromEntries(
    Object.entries(said).filter(([, v]) => v !== undefined && v !== ""),
  );
  return { ...known, ...stated } as IdentityClaims;
}
