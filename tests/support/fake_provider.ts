/**
 * A minimal authorization server whose every answer a test can change: for
 * faults a real provider will not produce (wrong issuer, bad signatures,
 * odd token responses). Loopback only.
 */

import * as jose from "jose";

/** What the fake serves; change fields between requests. */
export interface FakeBehaviour {
  /** Discovery document overrides (merged over correct metadata). */
  metadata: Record<string, unknown>;
  /** Which well-known documents exist. */
  wellKnown: { oidc: boolean; oauth2: boolean };
  /** Builds the token response for a code exchange. */
  token: (ctx: TokenContext) => Promise<Response> | Response;
  /** Builds the device authorization response. */
  device: (ctx: TokenContext) => Promise<Response> | Response;
}

/** What a token response builder gets. */
export interface TokenContext {
  issuer: string;
  params: URLSearchParams;
  /** Signs claims as an ID token with the published key (or `key`). */
  sign(
    claims: Record<string, unknown>,
    options?: { key?: CryptoKey; alg?: string; kid?: string },
  ): Promise<string>;
}

/** A running fake provider. */
export interface FakeProvider {
  issuer: string;
  behaviour: FakeBehaviour;
  /** A private key whose public half is not published. */
  strangerKey: CryptoKey;
  /** Signs claims with the published key. */
  sign: TokenContext["sign"];
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 with correct defaults. */
export async function startFakeProvider(): Promise<FakeProvider> {
  const { publicKey, privateKey } = await jose.generateKeyPair("RS256", {
    extractable: true,
  });
  const stranger = await jose.generateKeyPair("RS256");
  const jwk = {
    ...await jose.exportJWK(publicKey),
    kid: "k1",
    alg: "RS256",
    use: "sig",
  };
  let issuer = "";
  const sign: TokenContext["sign"] = (claims, options = {}) =>
    new jose.SignJWT(claims)
      .setProtectedHeader({
        alg: options.alg ?? "RS256",
        kid: options.kid ?? "k1",
      })
      .sign(options.key ?? privateKey);
  const behaviour: FakeBehaviour = {
    metadata: {},
    device: () =>
      Response.json({
        device_code: "dc-1",
        user_code: "ABCD-EFGH",
        verification_uri: `${issuer}/device`,
        verification_uri_complete: `${issuer}/device?user_code=ABCD-EFGH`,
        expires_in: 600,
      }),
    wellKnown: { oidc: true, oauth2: true },
    token: async ({ params }) =>
      Response.json({
        access_token: "at-1",
        token_type: "Bearer",
        expires_in: 3600,
        id_token: await sign({
          iss: issuer,
          aud: "client",
          sub: "alice",
          nonce: params.get("nonce-for-test") ?? undefined,
          iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 600,
        }),
      }),
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      const metadata = () =>
        Response.json({
          issuer,
          authorization_endpoint: `${issuer}/auth`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          device_authorization_endpoint: `${issuer}/device/auth`,
          code_challenge_methods_supported: ["S256"],
          id_token_signing_alg_values_supported: ["RS256"],
          ...behaviour.metadata,
        });
      switch (url.pathname) {
        case "/.well-known/openid-configuration":
          return behaviour.wellKnown.oidc
            ? metadata()
            : new Response("no", { status: 404 });
        case "/.well-known/oauth-authorization-server":
          return behaviour.wellKnown.oauth2
            ? metadata()
            : new Response("no", { status: 404 });
        case "/jwks":
          return Response.json({ keys: [jwk] });
        case "/token":
          return await behaviour.token({
            issuer,
            params: new URLSearchParams(await req.text()),
            sign,
          });
        case "/device/auth":
          return await behaviour.device({
            issuer,
            params: new URLSearchParams(await req.text()),
            sign,
          });
        default:
          return new Response("not found", { status: 404 });
      }
    },
  );
  issuer = `http://127.0.0.1:${server.addr.port}`;
  return {
    get issuer() {
      return issuer;
    },
    behaviour,
    strangerKey: stranger.privateKey,
    sign,
    close: () => server.shutdown(),
  };
}
