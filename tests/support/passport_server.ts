/**
 * A real OAuth 2.0 authorization server without discovery, set up the way
 * Laravel Passport is: `@jmondi/oauth2-server` (a TypeScript port of the PHP
 * League server under Passport) behind `/oauth/authorize` and
 * `/oauth/token`, PKCE (S256) required for a public client, redirect URIs
 * matched exactly (so each loopback port is registered), scopes that exist
 * or `invalid_scope`, rotating refresh tokens, and an app-defined profile
 * route (`GET /api/v1/profile`, as the autocom CLI's platform has). No
 * discovery document, no OpenID Connect, no ID token. Two additions to the
 * library, both written here: redirect URIs compared exactly (the library
 * ignores a loopback port), and an RFC 7009 revocation route, to test
 * logout against one.
 *
 * The authorization page asks the person to press "Authorize" (a form
 * POST), as Passport's does; `approvePassport` does that in Chromium.
 */

import {
  AuthorizationServer,
  JwtService,
  type OAuthAuthCode,
  type OAuthAuthCodeRepository,
  type OAuthClient,
  type OAuthScope,
  type OAuthToken,
  type OAuthTokenRepository,
  type OAuthUser,
} from "@jmondi/oauth2-server";
import {
  handleVanillaError,
  requestFromVanilla,
  responseToVanilla,
} from "@jmondi/oauth2-server/vanilla";
import type { Page } from "playwright-core";

/** A running Passport-like server. */
export interface PassportServer {
  /** Its base URL (`http://127.0.0.1:PORT`): the profile's issuer. */
  url: string;
  clientId: string;
  /** Every token request's form, in order (for assertions). */
  tokenRequests: URLSearchParams[];
  /** Every authorization request's query, in order. */
  authorizeRequests: URLSearchParams[];
  close(): Promise<void>;
}

const alice: OAuthUser = {
  id: 42,
  name: "Alice Example",
  email: "alice@passport.test",
};

/**
 * Starts the server. `redirectUris`: the exact redirect URIs registered for
 * the public client (Passport matches them exactly, port included).
 */
export function startPassportServer(
  redirectUris: string[],
): PassportServer {
  const scopes: OAuthScope[] = [{ name: "read" }, { name: "write" }];
  const client: OAuthClient = {
    id: "passport-cli",
    name: "passport cli",
    secret: null, // passport:client --public
    redirectUris,
    allowedGrants: ["authorization_code", "refresh_token"],
    scopes,
  };
  const tokens = new Map<string, OAuthToken>();
  const revoked = new Set<string>();
  const codes = new Map<string, OAuthAuthCode>();
  const random = () => crypto.getRandomValues(new Uint8Array(20)).toHex();

  const tokenRepository: OAuthTokenRepository = {
    issueToken(client, scopes, user) {
      return Promise.resolve({
        accessToken: random(),
        accessTokenExpiresAt: new Date(Date.now() + 3600_000),
        client,
        user,
        scopes,
      });
    },
    issueRefreshToken(token) {
      token.refreshToken = random();
      token.refreshTokenExpiresAt = new Date(Date.now() + 30 * 86400_000);
      return Promise.resolve(token);
    },
    persist(token) {
      tokens.set(token.accessToken, token);
      return Promise.resolve();
    },
    revoke(token) {
      revoked.add(token.accessToken);
      if (token.refreshToken) revoked.add(token.refreshToken);
      return Promise.resolve();
    },
    isRefreshTokenRevoked(token) {
      return Promise.resolve(revoked.has(token.refreshToken ?? ""));
    },
    getByRefreshToken(refreshToken) {
      for (const token of tokens.values()) {
        if (token.refreshToken === refreshToken) return Promise.resolve(token);
      }
      return Promise.reject(new Error("refresh token not found"));
    },
    getByAccessToken(accessToken) {
      const token = tokens.get(accessToken);
      return token
        ? Promise.resolve(token)
        : Promise.reject(new Error("access token not found"));
    },
  };
  const authCodeRepository: OAuthAuthCodeRepository = {
    getByIdentifier(code) {
      const found = codes.get(code);
      return found
        ? Promise.resolve(found)
        : Promise.reject(new Error("code not found"));
    },
    issueAuthCode(client, user, scopes) {
      return {
        code: random(),
        user,
        client,
        scopes,
        expiresAt: new Date(Date.now() + 600_000),
      } as OAuthAuthCode;
    },
    persist(code) {
      codes.set(code.code, code);
      return Promise.resolve();
    },
    isRevoked(code) {
      return Promise.resolve(revoked.has(code));
    },
    revoke(code) {
      revoked.add(code);
      return Promise.resolve();
    },
  };
  const jwt = new JwtService("passport-test-signing-secret-0123456789");
  const server = new AuthorizationServer(
    {
      getByIdentifier: (id) =>
        id === client.id
          ? Promise.resolve(client)
          : Promise.reject(new Error("unknown client")),
      isClientValid: (grant, c, secret) =>
        Promise.resolve(
          c.allowedGrants.includes(grant) && !secret && c.id === client.id,
        ),
    },
    tokenRepository,
    {
      getAllByIdentifiers: (names) => {
        const unknown = names.filter((n) => !scopes.some((s) => s.name === n));
        if (unknown.length) {
          // Passport: an undefined scope is invalid_scope.
          return Promise.reject(new Error(`invalid scope ${unknown}`));
        }
        return Promise.resolve(scopes.filter((s) => names.includes(s.name)));
      },
      finalize: (requested) => Promise.resolve(requested),
    },
    jwt,
    { requiresPKCE: true, requiresS256: true },
  );
  server.enableGrantTypes(
    {
      grant: "authorization_code",
      authCodeRepository,
      userRepository: {
        getUserByCredentials: (id) =>
          Promise.resolve(String(id) === String(alice.id) ? alice : undefined),
      },
    },
    "refresh_token",
  );

  const tokenRequests: URLSearchParams[] = [];
  const authorizeRequests: URLSearchParams[] = [];
  const escape = (s: string) =>
    s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  const handler = async (req: Request): Promise<Response> => {
    const form =
      req.method === "POST" && new URL(req.url).pathname === "/oauth/token"
        ? new URLSearchParams(await req.clone().text())
        : undefined;
    if (
      form?.has("redirect_uri") &&
      !redirectUris.includes(form.get("redirect_uri")!)
    ) {
      return Response.json({
        error: "invalid_client",
        error_description: "Client authentication failed",
      }, { status: 401 });
    }
    const url = new URL(req.url);
    try {
      // Passport matches redirect URIs exactly, port included (the library
      // alone ignores a loopback port, as RFC 8252 allows).
      if (
        url.pathname === "/oauth/authorize" &&
        !redirectUris.includes(url.searchParams.get("redirect_uri") ?? "")
      ) {
        return Response.json({
          error: "invalid_client",
          error_description: "Client authentication failed",
        }, { status: 401 });
      }
      if (req.method === "GET" && url.pathname === "/oauth/authorize") {
        authorizeRequests.push(url.searchParams);
        // Checked now: an unknown client, redirect URI or scope fails here.
        await server.validateAuthorizationRequest(
          await requestFromVanilla(req),
        );
        return new Response(
          `<!doctype html><title>Authorization Request</title>
<p>passport cli is requesting permission to access your account.</p>
<form method="post" action="/oauth/authorize?${escape(url.search.slice(1))}">
<button type="submit">Authorize</button></form>`,
          { headers: { "content-type": "text/html; charset=utf-8" } },
        );
      }
      if (req.method === "POST" && url.pathname === "/oauth/authorize") {
        const request = await server.validateAuthorizationRequest(
          await requestFromVanilla(
            new Request(req.url, { method: "GET", headers: req.headers }),
          ),
        );
        request.user = alice;
        request.isAuthorizationApproved = true;
        return responseToVanilla(
          await server.completeAuthorizationRequest(request),
        );
      }
      if (req.method === "POST" && url.pathname === "/oauth/token") {
        const body = await req.clone().text();
        tokenRequests.push(new URLSearchParams(body));
        return responseToVanilla(
          await server.respondToAccessTokenRequest(
            await requestFromVanilla(req),
          ),
        );
      }
      // RFC 7009 (Passport has none; the library revokes only codes):
      // a refresh token or an access token (a JWT naming its record), and
      // 200 whatever it was.
      if (req.method === "POST" && url.pathname === "/oauth/token/revoke") {
        const given = new URLSearchParams(await req.text()).get("token") ?? "";
        const claims = await jwt.verify(given).catch(() => undefined);
        for (const token of tokens.values()) {
          if (
            token.refreshToken === given || token.accessToken === claims?.jti
          ) {
            await tokenRepository.revoke(token);
          }
        }
        return new Response(null, { status: 200 });
      }
      if (req.method === "GET" && url.pathname === "/api/v1/profile") {
        const bearer = /^Bearer (.+)$/.exec(
          req.headers.get("authorization") ?? "",
        )?.[1];
        // The access token is a JWT the server signed; its jti names it.
        const claims = bearer
          ? await jwt.verify(bearer).catch(() => undefined)
          : undefined;
        const token = typeof claims?.jti === "string"
          ? tokens.get(claims.jti)
          : undefined;
        if (
          !token || revoked.has(token.accessToken) ||
          token.accessTokenExpiresAt.getTime() < Date.now()
        ) {
          return Response.json({ message: "Unauthenticated." }, {
            status: 401,
          });
        }
        return Response.json({
          id: alice.id,
          name: alice.name,
          email: alice.email,
        });
      }
      return new Response("Not Found", { status: 404 });
    } catch (err) {
      if (err instanceof Error && /invalid scope/.test(err.message)) {
        return Response.json({
          error: "invalid_scope",
          error_description:
            "The requested scope is invalid, unknown, or malformed.",
        }, { status: 400 });
      }
      return responseToVanilla(handleVanillaError(err));
    }
  };
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  return {
    url: `http://127.0.0.1:${http.addr.port}`,
    clientId: client.id,
    tokenRequests,
    authorizeRequests,
    close: () => http.shutdown(),
  };
}

/**
 * The person at the browser: opens the authorization URL, presses
 * "Authorize", and waits until the browser has gone to the redirect URI.
 * Returns the address the browser ended on.
 */
export async function approvePassport(
  page: Page,
  url: string,
): Promise<string> {
  await page.goto(url);
  const redirect = new URL(new URL(url).searchParams.get("redirect_uri")!);
  await Promise.all([
    page.waitForURL(
      (u) => u.href.startsWith(redirect.origin + redirect.pathname),
      {
        waitUntil: "commit",
      },
    ).catch(() => {}),
    page.click("button[type=submit]"),
  ]);
  return page.url();
}
