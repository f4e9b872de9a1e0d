/**
 * The import rules of `src/`, checked on the real module graph that
 * `deno info --json` reports: layers point one way, and no module reaches
 * itself through its imports.
 *
 * @module
 */

/** The layers, lowest first; a module may import its own layer and below. */
export const LAYERS = [
  "platform",
  "config",
  "store",
  "oauth",
  "flows",
  "app",
  "cli",
] as const;

/** What a graph check found: each entry is one broken rule, in words. */
export interface GraphReport {
  /** Imports against the layer order: "oauth/x.ts -> app/y.ts". */
  upward: string[];
  /** Import cycles, each as the modules on it. */
  cycles: string[][];
  /** How many modules of `src/` the graph held. */
  modules: number;
}

/** The layer of a path relative to `src/`; `errors.ts` is ground (-1). */
export function layerOf(path: string): number {
  if (path === "errors.ts") return -1;
  const layer = LAYERS.indexOf(path.split("/")[0] as typeof LAYERS[number]);
  if (layer < 0) throw new Error(`"${path}" is in no layer of src/`);
  return layer;
}

/**
 * Reads the module graph of every module under `root/src` with
 * `deno info --json` and checks the rules on it.
 */
export async function checkGraph(root: string): Promise<GraphReport> {
  root = Deno.realPathSync(root);
  const modules: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isDirectory) walk(`${dir}/${e.name}`);
      else if (e.name.endsWith(".ts")) modules.push(`${dir}/${e.name}`);
    }
  };
  walk(`${root}/src`);
  // One entry that imports them all, so a module nothing reaches is checked.
  const scratch = await Deno.makeTempDir();
  const entry = `${scratch}/entry.ts`;
  await Deno.writeTextFile(
    entry,
    modules.map((m) => `import ${JSON.stringify(`file://${m}`)};\n`).join(""),
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", `${root}/deno.json`, entry],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output().finally(() => Deno.remove(scratch, { recursive: true }));
  if (!out.success) {
    throw new Error(
      `deno info failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: {
      specifier: string;
      dependencies?: {
        code?: { specifier?: string };
        type?: { specifier?: string };
      }[];
    }[];
  };
  const src = new URL(`file://${root}/src/`).href;
  const local = (s: string | undefined) =>
    s?.startsWith(src) ? s.slice(src.length) : undefined;
  const edges = new Map<string, Set<string>>();
  for (const m of info.modules) {
    const from = local(m.specifier);
    if (!from) continue;
    const to = edges.get(from) ?? new Set<string>();
    edges.set(from, to);
    for (const d of m.dependencies ?? []) {
      for (const target of [d.code?.specifier, d.type?.specifier]) {
        const path = local(target);
        if (path) to.add(path);
      }
    }
  }
  const upward: string[] = [];
  for (const [from, tos] of edges) {
    for (const to of tos) {
      if (layerOf(to) > layerOf(from)) upward.push(`${from} -> ${to}`);
    }
  }
  return {
    upward: upward.sort(),
    cycles: cyclesOf(edges),
    modules: edges.size,
  };
}

/** The strongly connected components with more than one module (Tarjan). */
function cyclesOf(edges: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.get(v)?.has(v)) {
        found.push(component.sort());
      }
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}
