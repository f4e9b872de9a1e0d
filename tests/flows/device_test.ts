/**
 * The device flow's polling against a fault-injecting token endpoint, with
 * time faked: intervals, slow_down, denial, expiry, server errors, dropped
 * connections, Ctrl-C.
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { DeviceFlow } from "../../src/flows/device.ts";
import type { DeviceClient, LoginContext } from "../../src/flows/types.ts";
import { discover } from "../../src/oauth/mod.ts";
import { sessionClient } from "../../src/flows/session_client.ts";
import { resolveSettings } from "../../src/config/settings.ts";
import { parseConfig } from "../../src/config/config_file.ts";
import { buildInfo } from "../../src/config/build_info.ts";
import { envFrom } from "../../src/platform/env.ts";
import { BufferTerminal } from "../../src/platform/terminal.ts";
import { FakeClock } from "../support/fake_clock.ts";
import {
  type FakeProvider,
  startFakeProvider,
} from "../support/fake_provider.ts";
import { type RawAction, startRawServer } from "../support/raw_http.ts";

const oauthError = (error: string, status = 400): RawAction => ({
  kind: "respond",
  status,
  body: JSON.stringify({ error }),
});

/**
 * Runs the device flow with the token endpoint answering `script` in turn
 * (the last answer repeats). Returns the monotonic times of the polls.
 */
async function run(
  script: (RawAction | "tokens")[],
  options: {
    device?: Record<string, unknown>;
    signal?: AbortSignal;
    onPoll?: () => void;
  } = {},
) {
  const fake: FakeProvider = await startFakeProvider();
  const clock = new FakeClock();
  const polls: number[] = [];
  const token = startRawServer(async () => {
    polls.push(clock.monotonic());
    options.onPoll?.();
    const step = script[Math.min(polls.length - 1, script.length - 1)];
    if (step !== "tokens") return step;
    const now = Math.floor(clock.now() / 1000);
    return {
      kind: "respond",
      status: 200,
      body: JSON.stringify({
        access_token: "at-device",
        token_type: "Bearer",
        expires_in: 3600,
        refresh_token: "rt-device",
        id_token: await fake.sign({
          iss: fake.issuer,
          aud: "client",
          sub: "alice",
          iat: now,
          exp: now + 600,
        }),
      }),
    };
  });
  fake.behaviour.metadata.token_endpoint = `${token.url}/token`;
  if (options.device) {
    const body = {
      device_code: "dc-1",
      user_code: "ABCD-EFGH",
      verification_uri: `${fake.issuer}/device`,
      expires_in: 600,
      ...options.device,
    };
    fake.behaviour.device = () => Response.json(body);
  }
  const terminal = new BufferTerminal();
  try {
    const session = await discover({
      issuer: fake.issuer,
      clientId: "client",
      signal: options.signal,
    });
    const context: LoginContext = {
      client: sessionClient(session),
      settings: resolveSettings({
        flags: { issuer: fake.issuer, clientId: "client" },
        env: envFrom({}),
        config: parseConfig("c", {}),
        build: buildInfo,
      }),
      terminal,
      browser: { open: () => Promise.resolve(false) },
      clock,
      signal: options.signal ?? new AbortController().signal,
      timeoutMs: 300_000,
    };
    const result = await new DeviceFlow({ qr: true, openBrowser: false }).login(
      context,
    )
      .then(
        (tokens) => ({ tokens, error: undefined }),
        (error) => ({ tokens: undefined, error }),
      );
    return { ...result, polls, terminal, clock };
  } finally {
    token.close();
    await fake.close();
  }
}

function gaps(polls: number[]): number[] {
  return polls.map((t, i) => t - (i === 0 ? 0 : polls[i - 1]));
}

Deno.test("device: polls at the interval (5 s when absent) until approved", async () => {
  const r = await run([
    oauthError("authorization_pending"),
    oauthError("authorization_pending"),
    "tokens",
  ]);
  assertEquals(r.error, undefined);
  assertEquals(r.tokens?.accessToken, "at-device");
  assertEquals(r.tokens?.identity?.sub, "alice");
  assertEquals(gaps(r.polls), [5000, 5000, 5000]);
  assertMatch(r.terminal.stderr, /ABCD-EFGH/);
  assertMatch(r.terminal.stderr, /Waiting for approval/);
});

Deno.test("device: the provider's interval is honoured", async () => {
  const r = await run([oauthError("authorization_pending"), "tokens"], {
    device: { interval: 7 },
  });
  assertEquals(gaps(r.polls), [7000, 7000]);
});

Deno.test("device: each slow_down adds 5 s for good (5 → 10 → 15)", async () => {
  const r = await run([
    oauthError("slow_down"),
    oauthError("slow_down"),
    oauthError("authorization_pending"),
    oauthError("authorization_pending"),
    "tokens",
  ]);
  assertEquals(r.error, undefined);
  assertEquals(gaps(r.polls), [5000, 10000, 15000, 15000, 15000]);
});

Deno.test("device: access_denied ends the flow with exit 5", async () => {
  const r = await run([
    oauthError("authorization_pending"),
    oauthError("access_denied"),
  ]);
  assertEquals(r.error?.exitCode, 5);
  assertEquals(r.polls.length, 2);
});

Deno.test("device: expired_token ends the flow with exit 6", async () => {
  const r = await run([oauthError("expired_token")]);
  assertEquals(r.error?.exitCode, 6);
  assertEquals(r.error?.code, "device_code_expired");
});

Deno.test("device: reaching expires_in on the monotonic clock ends the flow with exit 6", async () => {
  const r = await run([oauthError("authorization_pending")], {
    device: { expires_in: 12 },
  });
  assertEquals(r.error?.exitCode, 6);
  assertEquals(r.polls, [5000, 10000]);
  assertEquals(r.clock.monotonic(), 12000);
});

Deno.test("device: any other error ends the flow with exit 3", async () => {
  const r = await run([oauthError("invalid_grant")]);
  assertEquals(r.error?.exitCode, 3);
  assertMatch(r.error?.message, /invalid_grant/);
});

Deno.test("device: a 503 with Retry-After is honoured, then polling goes on", async () => {
  const r = await run([
    {
      kind: "respond",
      status: 503,
      headers: { "retry-after": "30" },
      body: "busy",
    },
    oauthError("authorization_pending"),
    "tokens",
  ]);
  assertEquals(r.error, undefined);
  assertEquals(gaps(r.polls), [5000, 30000, 5000]);
  assertMatch(r.terminal.stderr, /HTTP 503.*Retrying in 30s/);
});

Deno.test("device: a dropped connection backs off and retries", async () => {
  const r = await run([
    { kind: "drop" },
    { kind: "drop" },
    oauthError("authorization_pending"),
    "tokens",
  ]);
  assertEquals(r.error, undefined, String(r.error));
  const g = gaps(r.polls);
  assertEquals(g[0], 5000);
  assert(g[1] >= 10000 && g[2] > g[1], `backoff grows: ${g}`);
  assertEquals(g[3], 5000);
  for (const gap of g) {
    assert(gap >= 5000, `no two polls closer than the interval: ${g}`);
  }
});

Deno.test("device: invalid device authorization responses are rejected", async () => {
  for (
    const bad of [
      { device_code: undefined },
      { user_code: undefined },
      { verification_uri: undefined },
      { expires_in: 0 },
      { expires_in: -5 },
    ]
  ) {
    const r = await run(["tokens"], { device: bad });
    assertEquals(r.error?.exitCode, 3, JSON.stringify(bad));
    assertEquals(r.polls.length, 0);
  }
});

Deno.test("device: verification_url is accepted; a foreign host is flagged", async () => {
  const r = await run(["tokens"], {
    device: {
      verification_uri: undefined,
      verification_url: "https://evil.example/device",
    },
  });
  assertEquals(r.error, undefined);
  assertMatch(r.terminal.stderr, /https:\/\/evil\.example\/device/);
  assertMatch(
    r.terminal.stderr,
    /Warning: the verification page is on "evil\.example"/,
  );
});

Deno.test("device: Ctrl-C aborts the request in flight (exit 130)", async () => {
  const controller = new AbortController();
  let abortedAt = 0;
  // Ctrl-C while the first poll is in flight (its answer never comes).
  const onPoll = () =>
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, 100);
  const r = await run([{ kind: "hang" }], {
    signal: controller.signal,
    onPoll,
  });
  assertEquals(r.error?.exitCode, 130);
  assertEquals(r.polls.length, 1);
  assert(performance.now() - abortedAt < 3000, "ended soon after Ctrl-C");
});

Deno.test("device: the flow needs only a DeviceClient (a plain object, no server)", async () => {
  const clock = new FakeClock();
  const asked: [string[], string][] = [];
  let polls = 0;
  const client: DeviceClient = {
    issuer: "https://as.example",
    deviceAuthorization: (scopes, audience) => {
      asked.push([scopes, audience]);
      return Promise.resolve({
        deviceCode: "dc",
        userCode: "CODE-1",
        verificationUri: "https://as.example/device",
        expiresIn: 60,
        interval: 2,
      });
    },
    pollDeviceCode: (code) => {
      assertEquals(code, "dc");
      return Promise.resolve(
        ++polls < 3 ? { status: "pending" as const } : {
          status: "tokens" as const,
          tokens: { accessToken: "at", tokenType: "Bearer" },
        },
      );
    },
  };
  const terminal = new BufferTerminal();
  const tokens = await new DeviceFlow({ qr: false, openBrowser: false }).login({
    client,
    settings: resolveSettings({
      flags: { issuer: client.issuer, clientId: "c", scopes: ["read"] },
      env: envFrom({}),
      config: parseConfig("c", {}),
      build: buildInfo,
    }),
    terminal,
    browser: { open: () => Promise.resolve(false) },
    clock,
    signal: new AbortController().signal,
    timeoutMs: 60_000,
  });
  assertEquals(tokens.accessToken, "at");
  assertEquals(asked, [[["read"], ""]]);
  assertEquals(clock.sleeps.slice(0, 3), [2000, 2000, 2000]);
  assertMatch(terminal.stderr, /CODE-1/);
});
