/**
 * The client ID of a login with none configured: a Client ID Metadata
 * Document where the provider accepts one, else the kept registration while
 * the provider knows it, else a new registration (RFC 7591).
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
} from "../support/assert.ts";
import {
  chooseClient,
  type RegistrationClient,
  registrationRequest,
} from "../../src/app/client_registration.ts";
import { parseConfig } from "../../src/config/config_file.ts";
import { buildInfo } from "../../src/config/build_info.ts";
import { resolveSettings } from "../../src/config/settings.ts";
import type { ClientRegistrationRequest } from "../../src/oauth/registration.ts";
import { envFrom } from "../../src/platform/env.ts";
import { BufferTerminal } from "../../src/platform/terminal.ts";
import {
  FileRegistrationCache,
  MemoryRegistrationCache,
} from "../../src/store/registration_cache.ts";

const ISSUER = "https://as.example";
const DOCUMENT = "https://cli.example/client.json";

/** A provider double: its metadata, and what it knows. */
function provider(
  metadata: RegistrationClient["metadata"],
  known: Set<string>,
) {
  const calls = {
    registered: [] as ClientRegistrationRequest[],
    probed: [] as string[],
  };
  const p: RegistrationClient = {
    issuer: ISSUER,
    metadata,
    redirectShape: { host: "127.0.0.1", path: "/callback" },
    knowsClient: (clientId) => {
      calls.probed.push(clientId);
      return Promise.resolve(known.has(clientId));
    },
    register: (request) => {
      calls.registered.push(request);
      const id = `registered-${calls.registered.length}`;
      known.add(id);
      return Promise.resolve({
        clientId: id,
        redirectUris: request.redirectUris,
        grantTypes: ["authorization_code", "refresh_token"],
      });
    },
  };
  return { provider: p, calls };
}

const settings = (env: Record<string, string> = {}) =>
  resolveSettings({
    flags: { issuer: ISSUER },
    env: envFrom(env),
    config: parseConfig("c", {}),
    build: { ...buildInfo, clientId: "" },
  });

Deno.test("client: a Client ID Metadata Document where the provider accepts one", async () => {
  const { provider: p, calls } = provider({
    client_id_metadata_document_supported: true,
    registration_endpoint: `${ISSUER}/reg`,
  }, new Set());
  const deps = {
    terminal: new BufferTerminal(),
    registrations: new MemoryRegistrationCache(),
  };
  const chosen = await chooseClient(
    deps,
    settings({ AUTHCTL_CLIENT_ID_METADATA_DOCUMENT: DOCUMENT }),
    p,
  );
  assertEquals(chosen, { clientId: DOCUMENT, how: "metadata_document" });
  assertEquals(calls.registered.length, 0);
  // Negative control: a provider that does not say so gets a registration.
  const other = provider({ registration_endpoint: `${ISSUER}/reg` }, new Set());
  const registered = await chooseClient(
    deps,
    settings({ AUTHCTL_CLIENT_ID_METADATA_DOCUMENT: DOCUMENT }),
    other.provider,
  );
  assertEquals(registered.how, "registered");
});

Deno.test("client: registered once, kept, reused while known, made again when forgotten", async () => {
  const known = new Set<string>();
  const { provider: p, calls } = provider({
    registration_endpoint: `${ISSUER}/reg`,
    device_authorization_endpoint: `${ISSUER}/device`,
  }, known);
  const dir = await Deno.makeTempDir();
  try {
    const terminal = new BufferTerminal();
    const deps = {
      terminal,
      registrations: new FileRegistrationCache(dir),
      appName: "acmectl",
    };
    const first = await chooseClient(deps, settings(), p);
    assertEquals(first, { clientId: "registered-1", how: "registered" });
    assertEquals(calls.registered[0], {
      clientName: "acmectl",
      redirectUris: ["http://127.0.0.1/callback"],
      deviceGrant: true,
    });
    assertEquals(calls.registered.length, 1);
    // Kept and reused, once the provider confirmed it still knows it.
    const plain = provider({ registration_endpoint: `${ISSUER}/reg` }, known);
    const kept = await chooseClient(deps, settings(), plain.provider);
    assertEquals(kept, { clientId: "registered-1", how: "kept_registration" });
    assertEquals(plain.calls.probed, ["registered-1"]);
    assertEquals(plain.calls.registered.length, 0);
    // Another fixed port is not in the registration: a new one.
    const withPort = await chooseClient(
      deps,
      settings({ AUTHCTL_PORT: "8765" }),
      plain.provider,
    );
    assertEquals(withPort, { clientId: "registered-1", how: "registered" });
    assertEquals(plain.calls.registered[0].redirectUris, [
      "http://127.0.0.1/callback",
      "http://127.0.0.1:8765/callback",
    ]);
    const { mode } = await Deno.stat(`${dir}/registrations.json`);
    assertEquals(mode! & 0o777, 0o600);

    // The provider forgot it.
    known.clear();
    const again = await chooseClient(deps, settings(), plain.provider);
    assertEquals(again, { clientId: "registered-2", how: "registered" });
    assertMatch(terminal.stderr, /no longer knows client "registered-1"/);
    assertEquals(
      (await deps.registrations.get(ISSUER))?.clientId,
      "registered-2",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client: no client ID and no way to get one is a usage error naming both", async () => {
  const { provider: p } = provider({}, new Set());
  await assertRejects(
    () =>
      chooseClient(
        { terminal: new BufferTerminal() },
        settings({ AUTHCTL_CLIENT_ID_METADATA_DOCUMENT: DOCUMENT }),
        p,
      ),
    {
      code: "missing_settings",
      message:
        /no client ID configured.*no dynamic client registration.*Client ID Metadata Documents/,
    },
  );
});

Deno.test("client: registration asks for the loopback URI without a port, and each fixed port", () => {
  const p = provider({}, new Set()).provider;
  assertEquals(
    registrationRequest("authctl", { ports: [8765, 8770] }, p).redirectUris,
    [
      "http://127.0.0.1/callback",
      "http://127.0.0.1:8765/callback",
      "http://127.0.0.1:8770/callback",
    ],
  );
  assert(!registrationRequest("authctl", { ports: [0] }, p).deviceGrant);
});

Deno.test("registration cache: a corrupt file is an empty cache, then replaced", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/registrations.json`, "{not json");
    const cache = new FileRegistrationCache(dir);
    assertEquals(await cache.get(ISSUER), undefined);
    await cache.set(ISSUER, {
      clientId: "c",
      registeredAt: 1,
      redirectUris: [],
      grantTypes: [],
    });
    assertEquals((await cache.get(ISSUER))?.clientId, "c");
    await cache.delete(ISSUER);
    assertEquals(await cache.get(ISSUER), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
