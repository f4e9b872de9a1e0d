/**
 * oidc-provider as an authorization server that trusts a CI's tokens: the
 * RFC 8693 token exchange and RFC 7523 jwt-bearer grants, added with
 * `registerGrantType` as test code, verify the CI token against the CI's
 * JWKS with jose and check its issuer, audience and subject; and its own
 * client credentials grant, for a client with a secret and one with
 * `private_key_jwt`. Strict: each check can be switched off, so a test
 * shows that it bites.
 *
 * @module
 */

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as jose from "jose";

/** Token exchange (RFC 8693). */
const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
/** jwt-bearer (RFC 7523). */
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** The client a CI job logs in as (public: its proof is the CI token). */
export const CI_CLIENT_ID = "ci-deployer";
/** A service account with a secret. */
export const SERVICE_CLIENT_ID = "service";
/** Its secret. */
export const SERVICE_SECRET = "service-secret-7f3a";
/** A service account that signs its assertions. */
export const KEY_CLIENT_ID = "service-key";

/** What a custom grant's handler sees of oidc-provider's context. */
interface GrantContext {
  oidc: {
    params: Record<string, string | undefined>;
    client: unknown;
    provider: {
      ClientCredentials: new (
        init: { client: unknown; scope: string },
      ) => { save(): Promise<string>; expiration: number };
    };
  };
  body: unknown;
}

/** What the grants check, each of which a test may switch off. */
export interface Checks {
  audience: boolean;
  subject: boolean;
  expiry: boolean;
}

/** A running federation provider. */
export interface FederationProvider {
  issuer: string;
  /** The CI subject it trusts. */
  trustedSubject: string;
  /** The CI token audiences it accepts (default: its own issuer). */
  audiences: string[];
  /** The checks in force. */
  checks: Checks;
  /** Exchanges granted. */
  exchanges: number;
  /** The grant type of each exchange granted. */
  grants: string[];
  /**
   * How far its clock runs ahead of this machine's, in seconds: a CI token
   * still valid here can be expired there.
   */
  clockAheadS: number;
  /** Whether the provider knows `token` as an active access token. */
  active(token: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Starts the provider on 127.0.0.1, trusting tokens from `ci` (its issuer
 * and JWKS URL) for `subject`, with the audience its own issuer; `keyJwk`
 * is the public key of {@linkcode KEY_CLIENT_ID}.
 */
export async function startFederationProvider(
  ci: { issuer: string; jwksUrl: string },
  subject: string,
  keyJwk: jose.JWK,
  accessTokenTtl = 3600,
): Promise<FederationProvider> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { default: Provider, errors } = await import("oidc-provider");
  const jwks = jose.createRemoteJWKSet(new URL(ci.jwksUrl));
  const state: FederationProvider = {
    issuer,
    trustedSubject: subject,
    audiences: [issuer],
    checks: { audience: true, subject: true, expiry: true },
    exchanges: 0,
    grants: [],
    clockAheadS: 0,
    active: async (token) => {
      const r = await fetch(`${issuer}/token/introspection`, {
        method: "POST",
        headers: {
          authorization: `Basic ${btoa("introspector:introspector-secret")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ token }),
      });
      return (await r.json()).active === true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CI_CLIENT_ID,
        token_endpoint_auth_method: "none",
        grant_types: [TOKEN_EXCHANGE, JWT_BEARER],
        response_types: [],
        redirect_uris: [],
        scope: "deploy",
      },
      {
        client_id: SERVICE_CLIENT_ID,
        client_secret: SERVICE_SECRET,
        token_endpoint_auth_method: "client_secret_basic",
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
        scope: "deploy",
      },
      {
        client_id: KEY_CLIENT_ID,
        token_endpoint_auth_method: "private_key_jwt",
        jwks: { keys: [keyJwk] },
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
        scope: "deploy",
      },
      {
        client_id: "introspector",
        client_secret: "introspector-secret",
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    scopes: ["openid", "deploy"],
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      devInteractions: { enabled: false },
    },
    ttl: { ClientCredentials: accessTokenTtl },
  });
  // Both grants: the CI token verified against the CI's keys, then checked.
  const trust = async (
    ctx: GrantContext,
    token: string | undefined,
    grant: string,
  ) => {
    if (!token) throw new errors.InvalidRequest("no CI token");
    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(token, jwks, {
        issuer: ci.issuer,
        ...(state.checks.audience ? { audience: state.audiences } : {}),
        currentDate: state.checks.expiry
          ? new Date(Date.now() + state.clockAheadS * 1000)
          : new Date(0),
      }));
    } catch (err) {
      throw new errors.InvalidGrant(
        `the CI token was refused: ${(err as Error).message}`,
      );
    }
    if (state.checks.subject && payload.sub !== state.trustedSubject) {
      throw new errors.InvalidGrant(
        `no trust relationship for the subject "${payload.sub}"`,
      );
    }
    const { ClientCredentials } = ctx.oidc.provider;
    const at = new ClientCredentials({
      client: ctx.oidc.client,
      scope: "deploy",
    });
    const value = await at.save();
    state.exchanges++;
    state.grants.push(grant);
    ctx.body = {
      access_token: value,
      token_type: "Bearer",
      expires_in: at.expiration,
      scope: "deploy",
      issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
    };
  };
  provider.registerGrantType(
    TOKEN_EXCHANGE,
    async (ctx: GrantContext) => {
      if (
        ctx.oidc.params.subject_token_type !==
          "urn:ietf:params:oauth:token-type:jwt"
      ) {
        throw new errors.InvalidRequest("unsupported subject_token_type");
      }
      await trust(ctx, ctx.oidc.params.subject_token, TOKEN_EXCHANGE);
    },
    [
      "subject_token",
      "subject_token_type",
      "requested_token_type",
      "audience",
      "resource",
      "scope",
    ],
    ["audience", "resource"],
  );
  provider.registerGrantType(
    JWT_BEARER,
    (ctx: GrantContext) => trust(ctx, ctx.oidc.params.assertion, JWT_BEARER),
    ["assertion", "scope"],
  );
  server.on("request", provider.callback());
  return state;
}
