/**
 * One contract for every credential backend — file, memory, the OS keychain
 * (a real Secret Service: gnome-keyring on a private D-Bus), and the routing
 * store over them — plus what only the keychain and the routing store do.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
} from "../support/assert.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import {
  KeychainStore,
  type KeyringApi,
  loadNapiKeyring,
} from "../../src/store/keychain_store.ts";
import { createStore } from "../../src/store/mod.ts";
import type {
  CredentialStore,
  StoredCredential,
} from "../../src/store/types.ts";
import {
  type PrivateKeyring,
  startPrivateKeyring,
} from "../support/keyring.ts";

const credential = (
  token: string,
  issuer = "https://issuer.example",
): StoredCredential => ({
  version: 1,
  issuer,
  clientId: "cli",
  scopes: ["openid", "offline_access"],
  audience: "",
  grantedScope: "openid offline_access",
  tokenType: "Bearer",
  accessToken: token,
  expiresAt: 1_900_000_000_000,
  refreshToken: "rt-" + token,
  idToken: "eyJ." + "x".repeat(1500) + ".sig",
  identity: { sub: "alice", email: "alice@example.test" },
  obtainedAt: 1_800_000_000_000,
  flow: "loopback",
});

/** The contract every backend keeps. */
async function contract(
  t: Deno.TestContext,
  make: () => Promise<CredentialStore>,
) {
  const store = await make();
  await t.step("a missing profile is undefined", async () => {
    assertEquals(await store.get("absent"), undefined);
  });
  await t.step("a login's placement saves, and where() names it", async () => {
    const placement = await store.place("placed");
    await placement.save(credential("p1"));
    assertEquals((await store.get("placed"))?.accessToken, "p1");
    assertEquals((await store.where("placed")).backend, placement.backend);
    assertEquals(await store.delete("placed"), true);
  });
  await t.step("set then get returns the same credential", async () => {
    await store.set("alpha", credential("a1"));
    assertEquals(await store.get("alpha"), credential("a1"));
  });
  await t.step("set replaces", async () => {
    await store.set("alpha", credential("a2"));
    assertEquals((await store.get("alpha"))?.accessToken, "a2");
  });
  await t.step("profiles are independent", async () => {
    await store.set("beta", credential("b1", "https://other.example"));
    assertEquals((await store.get("alpha"))?.accessToken, "a2");
    assertEquals((await store.get("beta"))?.issuer, "https://other.example");
    const names = await store.list();
    assert(names.includes("alpha") && names.includes("beta"), String(names));
  });
  await t.step("a large credential (8 KB of tokens) round-trips", async () => {
    const big = { ...credential("big"), accessToken: "A".repeat(8000) };
    await store.set("gamma", big);
    assertEquals(await store.get("gamma"), big);
  });
  await t.step("delete removes once; get is then undefined", async () => {
    assertEquals(await store.delete("alpha"), true);
    assertEquals(await store.delete("alpha"), false);
    assertEquals(await store.get("alpha"), undefined);
    assertEquals((await store.list()).includes("alpha"), false);
    assertEquals((await store.get("beta"))?.accessToken, "b1");
  });
  await t.step("where names the backend", async () => {
    const where = await store.where("beta");
    assert(where.backend.length > 0 && where.location.length > 0);
  });
}

let keyring: PrivateKeyring | undefined;
async function privateKeyring(): Promise<PrivateKeyring> {
  if (!keyring) {
    keyring = await startPrivateKeyring();
    // The keychain library reads the session bus from this process's env.
    for (const [k, v] of Object.entries(keyring.env)) {
      if (k !== "PATH") Deno.env.set(k, v);
    }
  }
  return keyring;
}

const opts = { sanitizeOps: false, sanitizeResources: false };

/** The real keychain library, counting the probes made through it. */
function probeCounting(onProbe: () => void): () => Promise<KeyringApi> {
  return async () => {
    const api = await loadNapiKeyring();
    return {
      ...api,
      entry: (service, account) => {
        if (account === "__authctl_probe__") onProbe();
        return api.entry(service, account);
      },
    };
  };
}

Deno.test({
  name: "contract: file",
  ...opts,
  fn: async (t) => {
    const dir = await Deno.makeTempDir();
    try {
      await contract(
        t,
        () => Promise.resolve(new FileStore({ configDir: dir })),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "contract: memory",
  ...opts,
  fn: (t) => contract(t, () => Promise.resolve(new MemoryStore())),
});

Deno.test({
  name: "contract: keychain (Secret Service)",
  ...opts,
  fn: async (t) => {
    await privateKeyring();
    await contract(t, () =>
      Promise.resolve(
        new KeychainStore({
          service: "authctl-contract",
          keyring: () => loadNapiKeyring(),
        }),
      ));
  },
});

Deno.test({
  name: "contract: keychain with Windows-sized chunks",
  ...opts,
  fn: async (t) => {
    await privateKeyring();
    await contract(t, () =>
      Promise.resolve(
        new KeychainStore({
          service: "authctl-chunks",
          keyring: () => loadNapiKeyring(),
          chunkSize: 1200,
        }),
      ));
  },
});

Deno.test({
  name: "contract: routing store, auto mode over the keychain",
  ...opts,
  fn: async (t) => {
    await privateKeyring();
    const dir = await Deno.makeTempDir();
    try {
      await contract(t, () =>
        Promise.resolve(
          createStore({
            configDir: dir,
            appName: "authctl-routing",
            mode: "auto",
            notice: () => {},
          }),
        ));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "keychain: the entry really is in the Secret Service; delete removes it",
  ...opts,
  fn: async () => {
    const k = await privateKeyring();
    const store = new KeychainStore({
      service: "acmectl",
      keyring: () => loadNapiKeyring(),
      chunkSize: 1200,
    });
    await store.set("prod", credential("secret-access-token"));
    const pointer = await k.secretTool(
      "lookup",
      "service",
      "acmectl",
      "username",
      "prod",
    );
    assertEquals(pointer.code, 0);
    const gen = JSON.parse(pointer.stdout).gen;
    // Named after the app (service), the profile and the issuer; split for Windows' limit.
    const chunk0 = await k.secretTool(
      "lookup",
      "service",
      "acmectl",
      "username",
      `prod@https://issuer.example#${gen}.0`,
    );
    assertEquals(chunk0.code, 0);
    assertEquals(chunk0.stdout.length, 1200);
    const all = await k.secretTool("search", "--all", "service", "acmectl");
    assert((all.stdout.match(/^\[/gm) ?? []).length >= 3, "several chunks");
    assertEquals(await store.delete("prod"), true);
    const after = await k.secretTool("search", "--all", "service", "acmectl");
    assertEquals(after.stdout.trim(), "");
  },
});

Deno.test({
  name: "keychain: a rewrite leaves no old chunks behind",
  ...opts,
  fn: async () => {
    const k = await privateKeyring();
    const store = new KeychainStore({
      service: "authctl-rewrite",
      keyring: () => loadNapiKeyring(),
      chunkSize: 500,
    });
    await store.set("p", credential("one"));
    const count = async () =>
      ((await k.secretTool("search", "--all", "service", "authctl-rewrite"))
        .stdout.match(/^\[/gm) ?? []).length;
    const first = await count();
    await store.set("p", credential("two"));
    assertEquals(await count(), first);
    assertEquals((await store.get("p"))?.accessToken, "two");
  },
});

Deno.test({
  name: "keychain: a keychain that never answers times out (never hangs)",
  ...opts,
  fn: async () => {
    const hung: KeyringApi = {
      name: "hung",
      entry: () => ({
        get: () => new Promise(() => {}),
        set: () => new Promise(() => {}),
        delete: () => new Promise(() => {}),
      }),
      accounts: () => new Promise(() => {}),
    };
    const store = new KeychainStore({
      service: "x",
      keyring: () => Promise.resolve(hung),
      timeoutMs: 300,
    });
    // Bounded here too: without the store's timeout this fails, not hangs.
    const within = <T>(promise: Promise<T>): Promise<T> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      return Promise.race([
        promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error("the keychain call hung: no timeout")),
            3000,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    };
    const started = performance.now();
    await assertRejects(() => within(store.get("p")), {
      code: "keychain_timeout",
      message: /did not answer/,
    });
    const probe = await within(store.probe());
    assertEquals(probe.ok, false);
    assert(performance.now() - started < 2000);
  },
});

Deno.test({
  name: "routing: auto uses the keychain and remembers it; reads never probe",
  ...opts,
  fn: async () => {
    await privateKeyring();
    const dir = await Deno.makeTempDir();
    try {
      let probes = 0;
      const counting = probeCounting(() => probes++);
      const make = () =>
        createStore({
          configDir: dir,
          appName: "authctl-remember",
          mode: "auto",
          notice: () => {},
          keyring: counting,
        });
      await new FileStore({ configDir: dir }).set(
        "p",
        credential("stale-file-copy"),
      );
      await (await make().place("p")).save(credential("kc"));
      assert(probes > 0);
      // The stale plaintext copy is gone; the keychain holds the entry.
      assertEquals(await new FileStore({ configDir: dir }).get("p"), undefined);
      const before = probes;
      const reader = make();
      assertEquals((await reader.get("p"))?.accessToken, "kc");
      assertEquals((await reader.where("p")).backend, "keychain");
      assertEquals(probes, before);
      assertEquals(await reader.delete("p"), true);
      assertEquals(await reader.get("p"), undefined);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "routing: auto falls back to the file and says so once, naming it",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const broken: KeyringApi = {
        name: "broken",
        entry: () => {
          throw new Error("no Secret Service");
        },
        accounts: () => Promise.reject(new Error("no Secret Service")),
      };
      const notices: string[] = [];
      const store = createStore({
        configDir: dir,
        appName: "authctl",
        mode: "auto",
        notice: (text) => notices.push(text),
        keyring: () => Promise.resolve(broken),
      });
      let probes = 0;
      const counting = createStore({
        configDir: dir,
        appName: "authctl",
        mode: "auto",
        notice: (text) => notices.push(text),
        keyring: () =>
          Promise.resolve({
            ...broken,
            entry: () => {
              probes++;
              throw new Error("no Secret Service");
            },
          }),
      });
      await (await store.place("p")).save(credential("f"));
      assertEquals(notices.length, 1);
      assertMatch(
        notices[0],
        new RegExp(
          `^No OS keychain answers here, so the credentials are kept in "${dir}/credentials/p\\.json" \\(mode 0600\\); choose with --storage keychain\\|file\\.$`,
        ),
      );
      assertEquals((await store.where("p")).backend, "file");
      assertEquals((await store.get("p"))?.accessToken, "f");
      // A refresh rewrites in place: no probe, no second notice.
      await counting.set("p", credential("refreshed"));
      assertEquals(probes, 0);
      assertEquals(notices.length, 1);
      assertEquals((await counting.get("p"))?.accessToken, "refreshed");
      // A new login keeps the file it already uses: no probe, no notice.
      await (await counting.place("p")).save(credential("again"));
      assertEquals(probes, 0);
      assertEquals(notices.length, 1);
      const keychainOnly = createStore({
        configDir: dir,
        appName: "authctl",
        mode: "keychain",
        notice: () => {},
        keyring: () => Promise.resolve(broken),
      });
      // Refused before any login starts, with the fix.
      await assertRejects(() => keychainOnly.place("q"), {
        code: "keychain_unavailable",
        message: /no Secret Service.*--storage file/,
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "routing: credentials stay where they were put; only login with --storage moves them",
  ...opts,
  fn: async () => {
    await privateKeyring();
    const dir = await Deno.makeTempDir();
    try {
      let probes = 0;
      const counting = probeCounting(() => probes++);
      const make = (mode: "auto" | "file" | "keychain") =>
        createStore({
          configDir: dir,
          appName: "authctl-stay",
          mode,
          notice: () => {},
          keyring: counting,
        });
      const file = new FileStore({ configDir: dir });
      // login --storage file, with a working keychain at hand.
      await (await make("file").place("p")).save(credential("one"));
      assertEquals(probes, 0);
      // A refresh (auto mode, the default) rewrites the file in place.
      await make("auto").set("p", credential("two"));
      assertEquals(probes, 0);
      assertEquals((await file.get("p"))?.accessToken, "two");
      assertEquals((await make("auto").where("p")).backend, "file");
      // A plain login again keeps the file.
      await (await make("auto").place("p")).save(credential("three"));
      assertEquals((await file.get("p"))?.accessToken, "three");
      // An explicit --storage keychain moves it, and leaves no file copy.
      await (await make("keychain").place("p")).save(credential("four"));
      assertEquals(await file.get("p"), undefined);
      assertEquals((await make("auto").where("p")).backend, "keychain");
      const before = probes;
      await make("auto").set("p", credential("five"));
      assertEquals(probes, before);
      assertEquals((await make("auto").get("p"))?.accessToken, "five");
      assertEquals(await make("auto").delete("p"), true);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "keychain: chunks a killed writer left behind go with the next write, and with logout",
  ...opts,
  fn: async () => {
    const k = await privateKeyring();
    const api = await loadNapiKeyring();
    const service = "authctl-orphans";
    const store = new KeychainStore({
      service,
      keyring: () => Promise.resolve(api),
      chunkSize: 500,
    });
    const there = async (account: string) =>
      (await k.secretTool("lookup", "service", service, "username", account))
        .code === 0;
    const planted = (gen: string) =>
      [0, 1].map((i) => `p@https://issuer.example#${gen}.${i}`);
    // What a kill -9 between the chunks and the pointer leaves: chunks of a
    // generation no pointer names, holding token JSON.
    const plant = async (gen: string) => {
      for (let i = 0; i < 2; i++) {
        await api.entry(service, `p@https://issuer.example#${gen}.${i}`).set(
          `{"refreshToken":"leaked-${gen}-${i}"}`,
          new AbortController().signal,
        );
      }
    };
    await store.set("p", credential("one"));
    await store.set("other", credential("o"));
    await plant("dead0001");
    for (const a of planted("dead0001")) assert(await there(a), a);
    await store.set("p", credential("two"));
    for (const a of planted("dead0001")) {
      assertEquals(await there(a), false, `the next write removes ${a}`);
    }
    assertEquals((await store.get("p"))?.accessToken, "two");
    assertEquals((await store.get("other"))?.accessToken, "o");
    await plant("dead0002");
    assertEquals(await store.delete("p"), true);
    for (const a of planted("dead0002")) {
      assertEquals(await there(a), false, `logout removes ${a}`);
    }
    assertEquals(await there("p"), false);
    assertEquals((await store.get("other"))?.accessToken, "o");
  },
});

Deno.test({
  name: "keychain: stop the private keyring",
  ...opts,
  fn: async () => {
    await keyring?.stop();
  },
});
