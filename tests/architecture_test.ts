/**
 * The layers of `src/` point one way (platform < config < store < oauth <
 * flows < app < cli; `errors.ts` is ground) and no module reaches itself
 * through its imports: read from the real module graph (`deno info --json`).
 * A scratch copy with one wrong import shows the check bites.
 */

import { assert, assertEquals } from "./support/assert.ts";
import { checkGraph, layerOf, LAYERS } from "./support/architecture.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("architecture: src/ imports only downward, without cycles", async () => {
  const report = await checkGraph(ROOT);
  assert(report.modules > 50, `only ${report.modules} modules in the graph`);
  assertEquals(report.upward, [], "imports against the layer order");
  assertEquals(report.cycles, [], "import cycles");
});

Deno.test("architecture: every folder of src/ is a layer", () => {
  for (const entry of Deno.readDirSync(`${ROOT}/src`)) {
    if (entry.isDirectory) {
      assert(
        (LAYERS as readonly string[]).includes(entry.name),
        `src/${entry.name} is no layer`,
      );
    } else if (entry.name.endsWith(".ts")) {
      assertEquals(layerOf(entry.name), -1, `src/${entry.name}`);
    }
  }
});

/** A copy of the project's sources and config in a scratch directory. */
async function scratchCopy(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const copy = (from: string, to: string) => {
    Deno.mkdirSync(to, { recursive: true });
    for (const e of Deno.readDirSync(from)) {
      if (e.isDirectory) copy(`${from}/${e.name}`, `${to}/${e.name}`);
      else Deno.copyFileSync(`${from}/${e.name}`, `${to}/${e.name}`);
    }
  };
  copy(`${ROOT}/src`, `${dir}/src`);
  for (const f of ["deno.json", "deno.lock"]) {
    Deno.copyFileSync(`${ROOT}/${f}`, `${dir}/${f}`);
  }
  return dir;
}

/** Appends an import of `to` to `from` (both relative to `src/`). */
async function addImport(dir: string, from: string, to: string, type = false) {
  const depth = from.split("/").length - 1;
  const path = `${depth ? "../".repeat(depth) : "./"}${to}`;
  await Deno.writeTextFile(
    `${dir}/src/${from}`,
    type ? `\nexport type * from "${path}";\n` : `\nimport "${path}";\n`,
    { append: true },
  );
}

Deno.test("architecture: an upward import in a scratch copy is caught", async () => {
  const dir = await scratchCopy();
  try {
    // The protocol layer reaching up into a use case.
    await addImport(dir, "oauth/http.ts", "app/token.ts");
    const report = await checkGraph(dir);
    assertEquals(report.upward, ["oauth/http.ts -> app/token.ts"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("architecture: a type-only upward import is caught too", async () => {
  const dir = await scratchCopy();
  try {
    await addImport(dir, "config/settings.ts", "store/types.ts", true);
    const report = await checkGraph(dir);
    assertEquals(report.upward, ["config/settings.ts -> store/types.ts"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("architecture: a cycle within one layer is caught", async () => {
  const dir = await scratchCopy();
  try {
    // cli/types.ts exists so that the command files and their context do
    // not import each other; bring the cycle back.
    await addImport(dir, "cli/types.ts", "cli/flags.ts", true);
    const report = await checkGraph(dir);
    assertEquals(report.upward, []);
    assertEquals(
      report.cycles.some((c) =>
        c.includes("cli/types.ts") && c.includes("cli/flags.ts")
      ),
      true,
      JSON.stringify(report.cycles),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
