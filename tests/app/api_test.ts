/**
 * The api use case over a fake session and an API answering in-process:
 * the token is sent, a refused token is refreshed once, what cannot be
 * refreshed is retired with the login that fixes it.
 */

import { assertEquals, assertRejects } from "../support/assert.ts";
import { appDeps, settingsFor } from "../support/app_deps.ts";
import { inProcessProvider } from "../support/in_process.ts";
import { type ApiRequest, callApi } from "../../src/app/api.ts";
import { newCredential } from "../../src/store/types.ts";

const API = "https://api.example/api/me";
const get: ApiRequest = { url: API, method: "GET", headers: [] };

async function loggedIn(refreshToken?: string) {
  const p = await inProcessProvider();
  const t = appDeps(p);
  const credential = newCredential(settingsFor(p), "loopback", t.clock.now(), {
    accessToken: "at-0",
    refreshToken,
    expiresIn: 3600,
  });
  credential.tokenEndpoint = `${p.issuer}/token`;
  await t.store.set("default", credential);
  const body: Uint8Array[] = [];
  const output = { body: (chunk: Uint8Array) => body.push(chunk) };
  const text = () =>
    new TextDecoder().decode(new Uint8Array(body.flatMap((b) => [...b])));
  return { p, ...t, output, text };
}

const refused = () =>
  new Response("no", {
    status: 401,
    headers: { "www-authenticate": 'Bearer error="invalid_token"' },
  });

Deno.test("api use case: the profile's token is sent, the answer written", async () => {
  const { p, deps, output, text } = await loggedIn();
  p.routes.set("/api/me", () => Response.json({ me: "alice" }));
  await callApi(deps, settingsFor(p), get, output);
  assertEquals(JSON.parse(text()), { me: "alice" });
  assertEquals(p.to("/api/me")[0].headers.get("authorization"), "Bearer at-0");
  assertEquals(p.to("/token").length, 0);
});

Deno.test("api use case: a token refused before it expired is refreshed once, and the call retried", async () => {
  const { p, deps, output, text, store } = await loggedIn("rt-0");
  p.routes.set(
    "/api/me",
    (r) =>
      r.headers.get("authorization") === "Bearer at-1"
        ? Response.json({ me: "alice" })
        : refused(),
  );
  p.routes.set("/token", () =>
    Response.json({
      access_token: "at-1",
      token_type: "Bearer",
      expires_in: 3600,
      refresh_token: "rt-1",
    }));
  await callApi(deps, settingsFor(p), get, output);
  assertEquals(JSON.parse(text()), { me: "alice" });
  assertEquals(p.to("/api/me").length, 2);
  assertEquals(p.to("/token").length, 1);
  assertEquals((await store.get("default"))?.refreshToken, "rt-1");
});

Deno.test("api use case: a refused token that cannot be refreshed is retired, naming the login", async () => {
  const { p, deps, output, store } = await loggedIn();
  p.routes.set("/api/me", refused);
  await assertRejects(
    () => callApi(deps, settingsFor(p), get, output),
    { message: /Run: acmectl login/ },
  );
  assertEquals(p.to("/api/me").length, 1);
  assertEquals(p.to("/token").length, 0);
  // Retired: the next call does not send it again.
  await assertRejects(() => callApi(deps, settingsFor(p), get, output), {
    message: /acmectl login/,
  });
  assertEquals(p.to("/api/me").length, 1);
  assertEquals(typeof (await store.get("default"))?.retiredAt, "number");
});

Deno.test("api use case: a redirect off https is refused, the token not sent there", async () => {
  const { p, deps, output } = await loggedIn();
  p.routes.set("/api/me", () =>
    new Response(null, {
      status: 302,
      headers: { location: "http://evil.example/steal" },
    }));
  await assertRejects(
    () => callApi(deps, settingsFor(p), get, output),
    { code: "insecure_redirect" },
  );
  assertEquals(p.seen.filter((r) => r.url.host === "evil.example").length, 0);
});
