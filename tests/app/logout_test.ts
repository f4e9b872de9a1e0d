/**
 * The logout use case over a fake session: the refresh token is revoked
 * first, then the access token; what cannot be revoked is said; the
 * credentials go in every case.
 */

import { assertEquals } from "../support/assert.ts";
import { appDeps, settingsFor } from "../support/app_deps.ts";
import { inProcessProvider } from "../support/in_process.ts";
import { logout } from "../../src/app/logout.ts";
import { newCredential } from "../../src/store/types.ts";

async function loggedIn(kind: "oidc" | "oauth2" = "oauth2") {
  const p = await inProcessProvider({ kind });
  const t = appDeps(p);
  await t.store.set(
    "default",
    newCredential(settingsFor(p), "loopback", t.clock.now(), {
      accessToken: "at-1",
      refreshToken: "rt-1",
      expiresIn: 3600,
    }),
  );
  return { p, ...t };
}

Deno.test("logout use case: the refresh token is revoked first, then the access token", async () => {
  const { p, deps, store } = await loggedIn();
  p.routes.set("/revoke", () => new Response(null, { status: 200 }));
  const result = await logout(deps, "default");
  assertEquals(result, {
    profile: "default",
    removed: true,
    revocation: "revoked",
  });
  assertEquals(
    p.to("/revoke").map((r) => [
      r.form.get("token"),
      r.form.get("token_type_hint"),
    ]),
    [["rt-1", "refresh_token"], ["at-1", "access_token"]],
  );
  assertEquals(await store.get("default"), undefined);
});

Deno.test("logout use case: a refused revocation is said, and the credentials still go", async () => {
  const { p, deps, store } = await loggedIn();
  p.routes.set(
    "/revoke",
    () => Response.json({ error: "invalid_client" }, { status: 401 }),
  );
  const result = await logout(deps, "default");
  assertEquals(result.revocation, "failed");
  assertEquals(result.removed, true);
  assertEquals(typeof result.detail, "string");
  assertEquals(await store.get("default"), undefined);
});

Deno.test("logout use case: no revocation endpoint is 'unsupported', with no request", async () => {
  const { p, deps } = await loggedIn();
  delete p.metadata.revocation_endpoint;
  const result = await logout(deps, "default");
  assertEquals(result.revocation, "unsupported");
  assertEquals(p.to("/revoke").length, 0);
});

Deno.test("logout use case: a pasted token is not revoked; nothing stored is not an error", async () => {
  const p = await inProcessProvider();
  const { deps, store, clock } = appDeps(p);
  await store.set(
    "default",
    newCredential(settingsFor(p), "token", clock.now(), { accessToken: "pat" }),
  );
  assertEquals((await logout(deps, "default")).revocation, "not-applicable");
  assertEquals(p.connects, 0);
  assertEquals(await logout(deps, "default"), {
    profile: "default",
    removed: false,
    revocation: "not-applicable",
  });
});
