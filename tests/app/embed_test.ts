/**
 * A program that embeds authctl through `mod.ts` under its own name: every
 * hint names that program, never "authctl" (the name is passed in, not
 * read from authctl's own build).
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { getAccessToken, NotLoggedInError, status } from "../../mod.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { newCredential } from "../../src/store/types.ts";

const app = (configDir: string) => ({
  name: "acmectl",
  issuer: "https://login.acme.example",
  clientId: "acme-cli",
  configDir,
  storage: "file" as const,
});

Deno.test("embedded: not logged in names the embedding program's login", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let error: unknown;
    await getAccessToken(app(dir)).catch((e) => error = e);
    assert(error instanceof NotLoggedInError, String(error));
    assertMatch(error.message, /Run: acmectl login/);
    assertEquals(/authctl/.test(error.message), false, error.message);
    const report = await status(app(dir));
    assertMatch(report.fix ?? "", /^acmectl login\b/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("embedded: credentials for other settings name its own login with them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Logged in once, with scopes the program no longer asks for.
    await new FileStore({ configDir: dir }).set(
      "default",
      newCredential(
        { ...app(dir), scopes: ["read"], audience: "" },
        "loopback",
        Date.now(),
        {
          accessToken: "at",
          expiresIn: 3600,
        },
      ),
    );
    let error: unknown;
    await getAccessToken({ ...app(dir), scopes: ["write"] }).catch((e) =>
      error = e
    );
    assert(error instanceof NotLoggedInError, String(error));
    assertMatch(error.message, /Run: acmectl login\b/);
    assertEquals(/authctl/.test(error.message), false, error.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
