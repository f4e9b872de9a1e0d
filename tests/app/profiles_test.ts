import { assertEquals, assertRejects } from "../support/assert.ts";
import {
  addProfile,
  listProfiles,
  removeProfile,
  useProfile,
} from "../../src/app/profiles.ts";
import { loadConfigFile } from "../../src/config/config_file.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";

Deno.test("profiles: add, use, list, remove keep config.toml valid", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/config.toml`;
  try {
    const store = new MemoryStore();
    await addProfile(await loadConfigFile(path), "prod", {
      issuer: "https://prod.example",
      clientId: "cli",
      scopes: ["api"],
      storage: "file",
    });
    await addProfile(await loadConfigFile(path), "stage", {
      issuer: "https://stage.example",
      clientId: "cli",
    });
    await assertRejects(
      async () =>
        addProfile(await loadConfigFile(path), "prod", {
          issuer: "https://x.example",
          clientId: "c",
        }),
      { code: "profile_exists", message: /--force/ },
    );
    await assertRejects(
      async () =>
        addProfile(await loadConfigFile(path), "bad", {
          issuer: "http://x.example",
          clientId: "c",
        }),
      { code: "insecure_issuer" },
    );
    await assertRejects(
      async () => useProfile(await loadConfigFile(path), "nope", "authctl"),
      { code: "unknown_profile" },
    );
    await useProfile(await loadConfigFile(path), "stage", "authctl");
    let config = await loadConfigFile(path);
    assertEquals(config.defaultProfile, "stage");
    assertEquals(config.profiles.prod, {
      issuer: "https://prod.example",
      clientId: "cli",
      scopes: ["api"],
      storage: "file",
    });
    const list = await listProfiles(config, store);
    assertEquals(list.map((p) => [p.name, p.isDefault]), [["prod", false], [
      "stage",
      true,
    ]]);
    await removeProfile(config, store, "stage", "authctl");
    config = await loadConfigFile(path);
    assertEquals(config.defaultProfile, undefined);
    assertEquals(Object.keys(config.profiles), ["prod"]);
    await assertRejects(
      async () =>
        removeProfile(await loadConfigFile(path), store, "stage", "authctl"),
      {
        code: "unknown_profile",
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("profiles: the issuer is stored exactly as given, provider settings with it", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/config.toml`;
  try {
    await addProfile(await loadConfigFile(path), "auth0", {
      issuer: "https://acme.eu.auth0.com/",
      clientId: "cli",
      provider: {
        provider: "oidc",
        authParams: { audience_hint: "x" },
        offlineAccess: true,
        resources: ["https://api.acme.example"],
      },
    });
    const text = await Deno.readTextFile(path);
    assertEquals(text.includes('issuer = "https://acme.eu.auth0.com/"'), true);
    const again = (await loadConfigFile(path)).profiles.auth0;
    assertEquals(again.issuer, "https://acme.eu.auth0.com/");
    assertEquals(again.provider, {
      provider: "oidc",
      authParams: { audience_hint: "x" },
      offlineAccess: true,
      resources: ["https://api.acme.example"],
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
