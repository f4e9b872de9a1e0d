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
