/**
 * The login use case over a fake session: real protocol steps, the provider
 * answering in-process (no server), time faked.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
} from "../support/assert.ts";
import { appDeps, settingsFor } from "../support/app_deps.ts";
import { inProcessProvider } from "../support/in_process.ts";
import { login, loginWithToken } from "../../src/app/login.ts";
import { newCredential } from "../../src/store/types.ts";

const deviceAnswer = () =>
  Response.json({
    device_code: "dc-1",
    user_code: "WXYZ-1234",
    verification_uri: "https://as.example/device",
    expires_in: 600,
    interval: 5,
  });

Deno.test("login use case: the device flow's tokens are verified, completed by userinfo, and saved", async () => {
  const p = await inProcessProvider({ kind: "oidc" });
  let polls = 0;
  p.routes.set("/device", deviceAnswer);
  p.routes.set("/token", async () => {
    if (++polls < 2) {
      return Response.json({ error: "authorization_pending" }, { status: 400 });
    }
    const now = Math.floor(Date.now() / 1000);
    return Response.json({
      access_token: "at-1",
      token_type: "Bearer",
      expires_in: 3600,
      refresh_token: "rt-1",
      id_token: await p.sign({
        iss: p.issuer,
        aud: "cli",
        sub: "alice",
        iat: now,
        exp: now + 600,
      }),
    });
  });
  p.routes.set(
    "/userinfo",
    () => Response.json({ sub: "alice", name: "Alice" }),
  );
  const { deps, store, terminal } = appDeps(p);
  const result = await login(deps, settingsFor(p), {
    flow: "device",
    qr: false,
    timeoutMs: 60_000,
  });
  assert(result.loggedIn);
  assertMatch(terminal.stderr, /WXYZ-1234/);
  assertEquals(polls, 2);
  const saved = await store.get("default");
  assertEquals(saved?.accessToken, "at-1");
  assertEquals(saved?.refreshToken, "rt-1");
  assertEquals(saved?.flow, "device");
  assertEquals(saved?.identity?.sub, "alice");
  assertEquals(saved?.identity?.name, "Alice");
  assertEquals(saved?.tokenEndpoint, `${p.issuer}/token`);
  // The protocol's own scope was asked for, and the device grant used.
  assertEquals(p.to("/device")[0].form.get("scope"), "openid");
  assertEquals(
    p.to("/token")[0].form.get("grant_type"),
    "urn:ietf:params:oauth:grant-type:device_code",
  );
});

Deno.test("login use case: an ID token for another audience is refused, nothing saved", async () => {
  const p = await inProcessProvider({ kind: "oidc" });
  p.routes.set("/device", deviceAnswer);
  p.routes.set("/token", async () => {
    const now = Math.floor(Date.now() / 1000);
    return Response.json({
      access_token: "at-1",
      token_type: "Bearer",
      id_token: await p.sign({
        iss: p.issuer,
        aud: "someone-else",
        sub: "alice",
        iat: now,
        exp: now + 600,
      }),
    });
  });
  const { deps, store } = appDeps(p);
  await assertRejects(
    () => login(deps, settingsFor(p), { flow: "device", timeoutMs: 60_000 }),
    { message: /"aud"/ },
  );
  assertEquals(await store.get("default"), undefined);
});

Deno.test("login use case: no refresh token is said, with the setting that brings one", async () => {
  const p = await inProcessProvider();
  p.routes.set("/device", deviceAnswer);
  p.routes.set(
    "/token",
    () => Response.json({ access_token: "at-1", token_type: "Bearer" }),
  );
  p.routes.set("/userinfo", () => Response.json({ id: 7, login: "bob" }));
  const { deps, terminal, store } = appDeps(p);
  await login(
    deps,
    settingsFor(p, { AUTHCTL_PROVIDER: "oauth2" }),
    { flow: "device", timeoutMs: 60_000 },
  );
  assertMatch(terminal.stderr, /No refresh token came with this login/);
  // No lifetime stated: used until refused.
  assertEquals((await store.get("default"))?.expiresAt, undefined);
});

Deno.test("login use case: a fresh credential for the same settings is kept, the provider not asked", async () => {
  const p = await inProcessProvider();
  const { deps, store, clock } = appDeps(p);
  const settings = settingsFor(p);
  await store.set(
    "default",
    newCredential(settings, "loopback", clock.now(), {
      accessToken: "kept",
      expiresIn: 3600,
    }),
  );
  const result = await login(deps, settings, {
    flow: "device",
    timeoutMs: 60_000,
  });
  assertEquals(result.loggedIn, false);
  assertEquals(result.credential.accessToken, "kept");
  assertEquals(p.connects, 0);
  assertEquals(p.seen.length, 0);
  // Negative control: --force does ask.
  p.routes.set("/device", deviceAnswer);
  p.routes.set(
    "/token",
    () => Response.json({ access_token: "new", token_type: "Bearer" }),
  );
  p.routes.set("/userinfo", () => Response.json({ id: 7, login: "bob" }));
  const forced = await login(deps, settings, {
    flow: "device",
    timeoutMs: 60_000,
    force: true,
  });
  assertEquals(forced.credential.accessToken, "new");
  assertEquals(p.connects, 1);
});

Deno.test("login use case: a given token is checked at userinfo; refused, nothing is saved", async () => {
  const p = await inProcessProvider();
  const { deps, store } = appDeps(p);
  p.routes.set("/userinfo", () => new Response(null, { status: 401 }));
  await assertRejects(
    () => loginWithToken(deps, settingsFor(p), "pat-bad"),
    { code: "token_rejected", message: /Nothing was saved/ },
  );
  assertEquals(await store.get("default"), undefined);
  assertEquals(
    p.to("/userinfo")[0].headers.get("authorization"),
    "Bearer pat-bad",
  );
  p.routes.set("/userinfo", () => Response.json({ id: 42, login: "alice" }));
  const ok = await loginWithToken(deps, settingsFor(p), "pat-good");
  assertEquals(ok.credential.flow, "token");
  assertEquals(ok.credential.identity?.sub, "42");
  assertEquals(ok.credential.identity?.preferred_username, "alice");
  assertEquals((await store.get("default"))?.accessToken, "pat-good");
});
