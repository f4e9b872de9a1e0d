/**
 * `ci claims`: what the CI job's OIDC token says (its issuer, subject,
 * audience, expiry and the CI's own claims), to compare with what a
 * provider's federated credential expects. Never the token itself.
 *
 * @module
 */

import type { JWTPayload } from "jose";
import type { Settings } from "../config/settings.ts";
import { envFrom } from "../platform/env.ts";
import type { AppDeps } from "./deps.ts";

/** The claims, and the source they came from. */
export interface CiClaims {
  /** The source, as resolved (`github`, never `auto`). */
  source: string;
  /** The token's claims, decoded (the provider verifies them). */
  claims: JWTPayload;
}

/**
 * Obtains the CI token from `source` (default: the profile's, else `auto`)
 * for the profile's federated audience (else its preset's), and returns
 * its claims. An expired token's claims are returned too.
 */
export async function ciClaims(
  deps: Pick<AppDeps, "env" | "capture" | "network" | "signal" | "clock">,
  settings: Settings,
  source?: string,
): Promise<CiClaims> {
  const { checkCiSource, fetchCiToken } = await import(
    "../oauth/ci_token.ts"
  );
  const { Http } = await import("../oauth/http.ts");
  const { presetOf } = await import("../config/presets.ts");
  const chosen = source ?? settings.provider.federated ?? "auto";
  const ci = await fetchCiToken(
    checkCiSource(chosen, source ? "the argument" : "the federated setting"),
    {
      env: deps.env ?? envFrom({}),
      http: new Http(deps.network, deps.signal),
      capture: deps.capture ??
        (() => Promise.reject(new Error("no programs can be run here"))),
      audience: settings.provider.federatedAudience ??
        presetOf(settings.provider.provider).federatedAudience,
      now: deps.clock.now(),
      allowExpired: true,
    },
  );
  return { source: ci.source, claims: ci.claims };
}
