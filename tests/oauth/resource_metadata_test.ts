/**
 * RFC 9728 discovery against the demo resource server (written for the
 * tests): the challenge, the well-known locations in their order, and the
 * `resource` rule; the MCP order of authorization-server metadata.
 */

import {
  assertEquals,
  assertRejects,
  assertThrows,
} from "../support/assert.ts";
import { startDemoResource } from "../../scripts/demo_resource.ts";
import {
  challengesOf,
  isScopeToken,
  tokenChallenge,
} from "../../src/oauth/challenge.ts";
import {
  discoverProtectedResource,
  validateResourceUrl,
} from "../../src/oauth/resource_metadata.ts";
import { metadataLocations } from "../../src/oauth/mod.ts";

const network = { timeoutMs: 5_000 };

Deno.test("challenge: WWW-Authenticate parsed by oauth4webapi", async () => {
  const response = new Response("", {
    status: 401,
    headers: {
      "www-authenticate":
        'DPoP algs="ES256", Bearer resource_metadata="https://r.example/.well-known/oauth-protected-resource/mcp", scope="mcp:read mcp:admin", error="insufficient_scope"',
    },
  });
  const challenges = await challengesOf(response);
  assertEquals(challenges.map((c) => c.scheme), ["dpop", "bearer"]);
  const bearer = tokenChallenge(challenges)!;
  assertEquals(
    bearer.resource_metadata,
    "https://r.example/.well-known/oauth-protected-resource/mcp",
  );
  assertEquals(bearer.scope, "mcp:read mcp:admin");
  assertEquals(bearer.error, "insufficient_scope");
  // The caller still has the body.
  assertEquals(response.bodyUsed, false);
  assertEquals(await challengesOf(new Response("", { status: 401 })), []);
});

Deno.test("resource metadata: challenge, well-known (inserted, then root), and the resource rule", async () => {
  const resource = await startDemoResource({
    issuer: "http://127.0.0.1:1/as",
  });
  const o = resource.origin;
  try {
    const mcp = await discoverProtectedResource(`${o}/mcp`, { network });
    assertEquals(mcp.foundBy, "challenge");
    assertEquals(mcp.resource, `${o}/mcp`);
    assertEquals(mcp.authorizationServers, ["http://127.0.0.1:1/as"]);
    // The challenge's scope wins over scopes_supported.
    assertEquals(mcp.scopes, ["mcp:read"]);
    assertEquals(mcp.scopesFrom, "challenge");

    const files = await discoverProtectedResource(`${o}/files`, { network });
    assertEquals(files.scopes, ["files:read"]);
    assertEquals(files.scopesFrom, "metadata");

    // No resource_metadata in the challenge: the path-inserted location.
    const quiet = await discoverProtectedResource(`${o}/quiet`, { network });
    assertEquals(quiet.foundBy, "well-known");
    assertEquals(
      quiet.metadataUrl,
      `${o}/.well-known/oauth-protected-resource/quiet`,
    );

    // The origin itself: the root location.
    const root = await discoverProtectedResource(`${o}/`, { network });
    assertEquals(root.metadataUrl, `${o}/.well-known/oauth-protected-resource`);

    // Path-inserted missing, the root's document is another resource's.
    await assertRejects(
      () => discoverProtectedResource(`${o}/nothing`, { network }),
      {
        code: "resource_mismatch",
        message: new RegExp(`is for the resource "${o}/"`),
      },
    );
    await assertRejects(
      () => discoverProtectedResource(`${o}/liar`, { network }),
      { code: "resource_mismatch", message: /\/somewhere-else/ },
    );
    const seen = resource.seen.map((s) => s.path);
    const nothing = seen.indexOf(
      "/.well-known/oauth-protected-resource/nothing",
    );
    const rootAfter = seen.indexOf(
      "/.well-known/oauth-protected-resource",
      nothing,
    );
    assertEquals(nothing >= 0 && rootAfter > nothing, true, seen.join(" "));
  } finally {
    await resource.close();
  }
});

Deno.test("resource metadata: only https (http on loopback), no fragment", () => {
  assertThrows(() => validateResourceUrl("http://mcp.example/mcp"), {
    code: "insecure_resource",
  });
  assertThrows(() => validateResourceUrl("https://mcp.example/mcp#x"), {
    code: "invalid_resource",
  });
  assertThrows(() => validateResourceUrl("mcp.example"), {
    code: "invalid_resource",
  });
  validateResourceUrl("https://mcp.example/mcp");
  validateResourceUrl("http://127.0.0.1:9728/mcp");
});

Deno.test("authorization server metadata: the MCP order for a server a resource named", () => {
  const urls = (issuer: string, named: boolean) =>
    metadataLocations(new URL(issuer), named).map((l) =>
      `${l.algorithm} ${l.url.href}`
    );
  assertEquals(urls("https://as.example/tenant1", true), [
    "oauth2 https://as.example/.well-known/oauth-authorization-server/tenant1",
    "oidc https://as.example/.well-known/openid-configuration/tenant1",
    "oidc https://as.example/tenant1/.well-known/openid-configuration",
  ]);
  assertEquals(urls("https://as.example", true), [
    "oauth2 https://as.example/.well-known/oauth-authorization-server",
    "oidc https://as.example/.well-known/openid-configuration",
  ]);
  // Everything else: OpenID Connect first, as before.
  assertEquals(urls("https://as.example/tenant1/", false), [
    "oidc https://as.example/tenant1/.well-known/openid-configuration",
    "oauth2 https://as.example/.well-known/oauth-authorization-server/tenant1",
  ]);
});

Deno.test("challenge: only scope-tokens survive (no control characters reach the terminal)", () => {
  assertEquals(
    ["mcp:read", "a\x1b[31m", "", 'b"c', "ok"].filter(isScopeToken),
    ["mcp:read", "ok"],
  );
});
