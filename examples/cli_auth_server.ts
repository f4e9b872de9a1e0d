/**
 * A backend endpoint that accepts the ID token a CLI got for its own public
 * client (`acmectl token --id-token`) and turns it into a session: the right
 * way to do what a `/api/singleauth` that refused such tokens with 403 could
 * not.
 *
 *   deno run --allow-net examples/cli_auth_server.ts \
 *     --issuer https://login.acme.example --audience acme-cli [--port 8080]
 *
 *   curl -s -d "token=$(acmectl token --id-token)" http://127.0.0.1:8080/api/cli-auth
 *
 * `POST /api/cli-auth` with the form field `token`: 200 with a session (a
 * cookie, and the same value in the JSON body for a CLI to keep), or 401
 * with `{"error": "invalid_token", "reason": …}`. `GET /api/me` with the
 * session shows whose it is.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  createCliIdTokenVerifier,
  IdTokenRejectedError,
  type VerifyCliIdTokenOptions,
} from "../mod.ts";

/** A session made from a verified ID token. */
interface Session {
  sub: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** Longest a session lives, whatever the ID token's expiry. */
const MAX_SESSION_MS = 8 * 3600_000;

/** The endpoint's request handler (exported for the tests). */
export function cliAuthHandler(
  options: VerifyCliIdTokenOptions,
): (req: Request) => Promise<Response> {
  const verify = createCliIdTokenVerifier(options);
  const now = options.now ?? Date.now;
  const sessions = new Map<string, Session>();
  const json = (status: number, body: unknown, headers: HeadersInit = {}) =>
    Response.json(body, {
      status,
      headers: { "cache-control": "no-store", ...headers },
    });

  return async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/api/cli-auth") {
      if (req.method !== "POST") {
        return json(405, { error: "method_not_allowed" }, { allow: "POST" });
      }
      const type = req.headers.get("content-type") ?? "";
      const length = Number(req.headers.get("content-length") ?? 0);
      if (!type.startsWith("application/x-www-form-urlencoded")) {
        return json(415, { error: "unsupported_media_type" });
      }
      if (length > 32 * 1024) return json(413, { error: "too_large" });
      const form = new URLSearchParams(await req.text());
      const token = form.get("token");
      if (!token) {
        return json(400, { error: "invalid_request", reason: "no token" });
      }
      try {
        const claims = await verify(token);
        const id = crypto.getRandomValues(new Uint8Array(32))
          .toBase64({ alphabet: "base64url", omitPadding: true });
        const expiresAt = Math.min(claims.exp * 1000, now() + MAX_SESSION_MS);
        sessions.set(id, { sub: claims.sub, expiresAt });
        return json(200, {
          session: id,
          sub: claims.sub,
          expires_at: new Date(expiresAt).toISOString(),
        }, {
          "set-cookie":
            `session=${id}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${
              Math.floor((expiresAt - now()) / 1000)
            }`,
        });
      } catch (err) {
        if (err instanceof IdTokenRejectedError) {
          return json(401, { error: "invalid_token", reason: err.reason }, {
            "www-authenticate":
              `Bearer error="invalid_token", error_description="${err.reason}"`,
          });
        }
        // The issuer could not be reached: not the caller's fault.
        return json(503, { error: "temporarily_unavailable" });
      }
    }
    if (url.pathname === "/api/me") {
      const id = /(?:^|;\s*)session=([\w-]+)/.exec(
        req.headers.get("cookie") ?? "",
      )?.[1] ?? /^Session ([\w-]+)$/.exec(
        req.headers.get("authorization") ?? "",
      )?.[1];
      const session = id ? sessions.get(id) : undefined;
      if (!session || session.expiresAt <= now()) {
        return json(401, { error: "no_session" });
      }
      return json(200, { sub: session.sub });
    }
    return json(404, { error: "not_found" });
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      issuer: { type: "string" },
      audience: { type: "string", multiple: true, default: [] },
      port: { type: "string", default: "8080" },
    },
  });
  if (!values.issuer || !values.audience.length) {
    console.error(
      "usage: cli_auth_server.ts --issuer URL --audience CLIENT_ID... [--port N]",
    );
    Deno.exit(2);
  }
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: Number(values.port),
      onListen: ({ port }) =>
        console.log(`listening on http://127.0.0.1:${port}/api/cli-auth`),
    },
    cliAuthHandler({ issuer: values.issuer, audiences: values.audience }),
  );
  await server.finished;
}
