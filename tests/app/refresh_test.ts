/**
 * The refresh use case against a fake provider: what is handed out after a
 * refresh is what was saved, and a save that fails is said, never hidden.
 */

import { assertEquals, assertRejects } from "../support/assert.ts";
import { startFakeProvider } from "../support/fake_provider.ts";
import { freshCredential } from "../../src/app/refresh.ts";
import { parseConfig } from "../../src/config/config_file.ts";
import { resolveSettings } from "../../src/config/settings.ts";
import { buildInfo } from "../../src/config/build_info.ts";
import { envFrom } from "../../src/platform/env.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import type { StoredCredential } from "../../src/store/types.ts";
import type { ConnectTarget } from "../../src/app/deps.ts";
import { discover } from "../../src/oauth/mod.ts";
import { newCredential } from "../../src/store/types.ts";
import { appDeps, settingsFor } from "../support/app_deps.ts";
import {
  type InProcessProvider,
  inProcessProvider,
} from "../support/in_process.ts";

const noLocks = {
  acquire: () => Promise.resolve({ release() {} }),
};

Deno.test("refresh: refreshed tokens that cannot be saved are an error, not handed out", async () => {
  const fake = await startFakeProvider();
  try {
    let refreshes = 0;
    fake.behaviour.token = ({ params }) => {
      if (params.get("grant_type") === "refresh_token") refreshes++;
      return Response.json({
        access_token: `at-${refreshes}`,
        token_type: "Bearer",
        expires_in: 3600,
        refresh_token: `rt-${refreshes}`,
      });
    };
    const expired: StoredCredential = {
      version: 1,
      issuer: fake.issuer,
      clientId: "client",
      scopes: [],
      audience: "",
      grantedScope: "",
      tokenType: "Bearer",
      accessToken: "at-0",
      expiresAt: Date.now() - 1000,
      refreshToken: "rt-0",
      obtainedAt: Date.now() - 3600_000,
      flow: "loopback",
      provider: { provider: "oauth2" },
    };
    const settings = resolveSettings({
      flags: {},
      env: envFrom({}),
      config: parseConfig("c", {}),
      build: buildInfo,
    });
    const deps = (store: MemoryStore) => ({
      store,
      locks: noLocks,
      clock: {
        now: () => Date.now(),
        monotonic: () => 0,
        sleep: () => Promise.resolve(),
      },
      signal: new AbortController().signal,
      network: { timeoutMs: 5000 },
      connect: (target: ConnectTarget) =>
        discover({ ...target, network: { timeoutMs: 5000 } }),
    });
    // A store that works: the refreshed token is saved and handed out.
    const good = new MemoryStore();
    await good.set("default", expired);
    const fresh = await freshCredential(deps(good), settings, 60_000);
    assertEquals(fresh.accessToken, "at-1");
    assertEquals((await good.get("default"))?.refreshToken, "rt-1");
    // A store whose save fails (a full disk): said, with the fix; the new
    // token is not handed out as if all were well.
    const full = new MemoryStore();
    await full.set("default", expired);
    full.set = () => Promise.reject(new Error("No space left on device"));
    await assertRejects(
      () => freshCredential(deps(full), settings, 60_000),
      {
        code: "refresh_not_saved",
        message: /could not be saved: No space left on device/,
      },
    );
  } finally {
    await fake.close();
  }
});

/** An expired credential for `p`, obtained by the loopback flow. */
async function expiredFor(p: InProcessProvider, subject?: string) {
  const t = appDeps(p);
  const credential = newCredential(
    settingsFor(p),
    "loopback",
    t.clock.now() - 3600_000,
    {
      accessToken: "at-0",
      refreshToken: "rt-0",
      expiresIn: 60,
      identity: subject ? { sub: subject, name: "Alice" } : undefined,
    },
  );
  credential.tokenEndpoint = `${p.issuer}/token`;
  await t.store.set("default", credential);
  return t;
}

Deno.test("refresh use case: the refresh token goes to the token endpoint; the rotated one is saved", async () => {
  const p = await inProcessProvider();
  const { deps, store } = await expiredFor(p);
  p.routes.set("/token", () =>
    Response.json({
      access_token: "at-1",
      token_type: "Bearer",
      expires_in: 3600,
      refresh_token: "rt-1",
    }));
  const fresh = await freshCredential(deps, settingsFor(p), 60_000);
  assertEquals(fresh.accessToken, "at-1");
  const [sent] = p.to("/token");
  assertEquals(sent.form.get("grant_type"), "refresh_token");
  assertEquals(sent.form.get("refresh_token"), "rt-0");
  assertEquals((await store.get("default"))?.refreshToken, "rt-1");
});

Deno.test("refresh use case: invalid_grant retires the refresh token and names the login", async () => {
  const p = await inProcessProvider();
  const { deps, store } = await expiredFor(p);
  p.routes.set(
    "/token",
    () => Response.json({ error: "invalid_grant" }, { status: 400 }),
  );
  await assertRejects(
    () => freshCredential(deps, settingsFor(p), 60_000),
    { code: "refresh_rejected", message: /Run: acmectl login/ },
  );
  const kept = await store.get("default");
  assertEquals(kept?.refreshToken, undefined);
  assertEquals(typeof kept?.unusable, "string");
  // Never replayed: the next call sends nothing.
  await assertRejects(() => freshCredential(deps, settingsFor(p), 60_000), {
    message: /rejected by the provider.*Run: acmectl login/,
  });
  assertEquals(p.to("/token").length, 1);
});

Deno.test("refresh use case: a token endpoint that changed since the login gets no refresh token", async () => {
  const p = await inProcessProvider();
  const { deps } = await expiredFor(p);
  p.metadata.token_endpoint = "https://elsewhere.example/token";
  await assertRejects(
    () => freshCredential(deps, settingsFor(p), 60_000),
    { code: "token_endpoint_changed", message: /acmectl login .*--force/ },
  );
  assertEquals(p.seen.length, 0);
});

Deno.test("refresh use case: an ID token naming another user is refused; the identity is kept otherwise", async () => {
  const p = await inProcessProvider({ kind: "oidc" });
  const { deps, store } = await expiredFor(p, "alice");
  const answer = (sub: string) => async () => {
    const now = Math.floor(Date.now() / 1000);
    return Response.json({
      access_token: `at-${sub}`,
      token_type: "Bearer",
      expires_in: 3600,
      id_token: await p.sign({
        iss: p.issuer,
        aud: "cli",
        sub,
        iat: now,
        exp: now + 600,
      }),
    });
  };
  p.routes.set("/token", answer("mallory"));
  await assertRejects(
    () => freshCredential(deps, settingsFor(p), 60_000),
    { message: /another user \("mallory", not "alice"\)/ },
  );
  assertEquals((await store.get("default"))?.accessToken, "at-0");
  // Negative control: the same subject refreshes, and the name stays.
  p.routes.set("/token", answer("alice"));
  const fresh = await freshCredential(deps, settingsFor(p), 60_000);
  assertEquals(fresh.accessToken, "at-alice");
  assertEquals(fresh.identity?.name, "Alice");
});
