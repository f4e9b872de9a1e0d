/**
 * A provider (and an API) that answers in-process: the use cases' unit
 * tests run the real protocol steps over a real {@linkcode ProviderSession}
 * whose HTTP client's transport is a function, so no server is started and
 * nothing is cast. Each handler sees the request as the provider would.
 *
 * @module
 */

import * as jose from "jose";
import type { AppDeps, ConnectTarget } from "../../src/app/deps.ts";
import { Http, type NetworkOptions } from "../../src/oauth/http.ts";
import { createSession, type ProviderSession } from "../../src/oauth/mod.ts";

/** One request as received. */
export interface SeenRequest {
  method: string;
  url: URL;
  headers: Headers;
  /** The form body (token, revocation, device endpoints), else empty. */
  form: URLSearchParams;
}

/** Answers one request; undefined is a 404. */
export type Handler = (
  request: SeenRequest,
) => Response | undefined | Promise<Response | undefined>;

/** The provider's side of a test. */
export interface InProcessProvider {
  readonly issuer: string;
  /** Everything received, in order. */
  readonly seen: SeenRequest[];
  /** The handlers, by path (`/token`, `/revoke`, `/api/me`…); change freely. */
  readonly routes: Map<string, Handler>;
  /** The metadata every session gets (change before connecting). */
  readonly metadata: Record<string, unknown>;
  /** The network settings whose transport is this provider. */
  readonly network: NetworkOptions;
  /** `AppDeps.connect` over this provider, counting its calls. */
  readonly connect: AppDeps["connect"];
  /** How many sessions were opened. */
  connects: number;
  /** Signs an ID token with the provider's key. */
  sign(claims: Record<string, unknown>): Promise<string>;
  /** The requests to `path`. */
  to(path: string): SeenRequest[];
}

/**
 * A provider at `issuer` (https: requests never leave the process) of the
 * given kind, with token, revocation, userinfo and JWKS endpoints.
 */
export async function inProcessProvider(
  options: { kind?: "oidc" | "oauth2"; issuer?: string } = {},
): Promise<InProcessProvider> {
  const issuer = options.issuer ?? "https://as.example";
  const kind = options.kind ?? "oauth2";
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const jwk = { ...await jose.exportJWK(publicKey), kid: "k1", alg: "ES256" };
  const seen: SeenRequest[] = [];
  const routes = new Map<string, Handler>([
    ["/jwks", () => Response.json({ keys: [jwk] })],
    ["/userinfo", () => Response.json({ sub: "alice", name: "Alice" })],
  ]);
  const metadata: Record<string, unknown> = {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    revocation_endpoint: `${issuer}/revoke`,
    device_authorization_endpoint: `${issuer}/device`,
    userinfo_endpoint: `${issuer}/userinfo`,
    code_challenge_methods_supported: ["S256"],
    ...(kind === "oidc"
      ? {
        jwks_uri: `${issuer}/jwks`,
        id_token_signing_alg_values_supported: ["ES256"],
      }
      : {}),
  };
  const network: NetworkOptions = {
    timeoutMs: 5_000,
    transport: async (url, init) => {
      const request = new Request(url, init);
      const form = request.headers.get("content-type")?.includes(
          "application/x-www-form-urlencoded",
        )
        ? new URLSearchParams(await request.text())
        : new URLSearchParams();
      const one: SeenRequest = {
        method: request.method,
        url: new URL(url),
        headers: request.headers,
        form,
      };
      seen.push(one);
      const handler = routes.get(one.url.pathname);
      return (await handler?.(one)) ??
        new Response("not found", { status: 404 });
    },
  };
  const provider: InProcessProvider = {
    issuer,
    seen,
    routes,
    metadata,
    network,
    connects: 0,
    connect: (target: ConnectTarget): Promise<ProviderSession> => {
      provider.connects++;
      return Promise.resolve(createSession({
        issuer: target.issuer,
        clientId: target.clientId,
        metadata: { ...metadata, issuer: target.issuer },
        kind,
        settings: target.settings,
        http: new Http(
          target.deadline === undefined
            ? network
            : { ...network, deadline: target.deadline },
          target.signal,
        ),
        signal: target.signal,
      }));
    },
    sign: (claims) =>
      new jose.SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .sign(privateKey),
    to: (path) => seen.filter((r) => r.url.pathname === path),
  };
  return provider;
}
