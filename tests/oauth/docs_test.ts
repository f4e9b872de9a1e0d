/**
 * Every exported protocol function says what it does and links the section
 * of the RFC (or specification) it implements, as oauth4webapi does.
 */

import { assertEquals } from "../support/assert.ts";

/** The modules of protocol steps (the others are plumbing and keep theirs). */
const STEPS = [
  "authorization",
  "device",
  "discovery",
  "id_token",
  "policy",
  "refresh",
  "registration",
  "session",
  "userinfo",
];

/** The exported functions of `source` whose doc has no `@see` link. */
function undocumented(source: string): string[] {
  const missing: string[] = [];
  for (
    const m of source.matchAll(
      /(\/\*\*(?:(?!\*\/)[\s\S])*?\*\/)?\s*\nexport (?:async )?function (\w+)/g,
    )
  ) {
    const doc = m[1] ?? "";
    if (!/@see \{@link https:\/\/\S+\}/.test(doc) || doc.length < 40) {
      missing.push(m[2]);
    }
  }
  return missing;
}

Deno.test("docs: each exported protocol step links its specification", async () => {
  for (const name of STEPS) {
    const source = await Deno.readTextFile(
      new URL(`../../src/oauth/${name}.ts`, import.meta.url),
    );
    assertEquals(undocumented(source), [], `src/oauth/${name}.ts`);
  }
});

Deno.test("docs: a step without its link is caught (negative control)", async () => {
  const source = await Deno.readTextFile(
    new URL("../../src/oauth/refresh.ts", import.meta.url),
  );
  const stripped = source.replace(
    / \* @see \{@link https:\/\/www\.rfc-editor\.org\/rfc\/rfc7009[^\n]*\n/,
    "",
  );
  assertEquals(undocumented(stripped), ["revocationRequest"]);
});
