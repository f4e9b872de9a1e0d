/**
 * The README's Usage block against the program's own `--help`: every
 * command and flag that help shows is in the README, and nothing else; the
 * README's links stay inside the repository.
 */

import { assertEquals } from "./support/assert.ts";
import { runCli } from "../src/cli/mod.ts";
import { buildInfo } from "../src/config/build_info.ts";
import { systemClock } from "../src/platform/clock.ts";
import { envFrom } from "../src/platform/env.ts";
import { detectEnvironment } from "../src/platform/environment.ts";
import { BufferTerminal } from "../src/platform/terminal.ts";

const root = new URL("../", import.meta.url);
const readme = await Deno.readTextFile(new URL("README.md", root));

/** The help the CLI prints for `path` (a command, or a subcommand). */
async function help(path: string[]): Promise<string> {
  const terminal = new BufferTerminal();
  await runCli([...path, "--help"], {
    system: { os: Deno.build.os, env: envFrom({}) },
    terminal,
    clock: systemClock,
    browser: { open: () => Promise.resolve(false) },
    signal: new AbortController().signal,
    build: { ...buildInfo, name: "authctl" },
    environment: () =>
      detectEnvironment({ os: "linux", env: envFrom({}) }, terminal),
    processes: { run: () => Promise.reject(new Error("not here")) },
  });
  return terminal.stdout;
}

/** The lines of one titled section of help ("FLAGS", "COMMANDS"). */
function section(text: string, title: string): string[] {
  const lines = text.split("\n");
  const start = lines.indexOf(title);
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line !== "" && !line.startsWith(" ")) break;
    out.push(line);
  }
  return out;
}

/**
 * The flags help lists, without the universal -h/--help. A pair a person
 * can negate (`--browser/--no-browser`, on by default) counts as the
 * negation, the spelling people type.
 */
function helpFlags(text: string): string[] {
  return helpFlagsWithPairs(text).flags;
}

/** As {@linkcode helpFlags}, and the positive halves of negatable pairs. */
function helpFlagsWithPairs(text: string) {
  const flags = new Set<string>();
  const positives = new Set<string>();
  for (const line of section(text, "FLAGS")) {
    const m =
      /^\s+(?:(-[A-Za-z])\s+)?[[(]?(--[a-z][\w-]*)(?:\/(--no-[a-z][\w-]*))?/
        .exec(line);
    if (m) {
      if (m[1]) flags.add(m[1]);
      flags.add(m[3] ?? m[2]);
      if (m[3]) positives.add(m[2]);
    }
  }
  return {
    flags: [...flags].filter((f) => f !== "-h" && f !== "--help").sort(),
    positives,
  };
}

/** The commands help lists. */
function helpCommands(text: string): string[] {
  return section(text, "COMMANDS")
    .map((line) => /^ {2}([a-z][\w-]*)/.exec(line)?.[1])
    .filter((c): c is string => c !== undefined)
    .sort();
}

const FLAG = /(?<![\w-])(--[a-z][\w-]*|-[A-Za-z])(?![\w-])/g;

/**
 * The README's Usage block: for each command path ("login", "profiles add",
 * "" for the program itself), the flags it shows.
 */
function readmeUsage(): Map<string, Set<string>> {
  const block = /## Usage\n\n```text\n([\s\S]*?)\n```/.exec(readme)?.[1];
  if (!block) throw new Error("README has no Usage block");
  const usage = new Map<string, Set<string>>();
  // "NAME FLAGS:" lines define a group that commands name as [NAME FLAGS…].
  const groups = new Map<string, Set<string>>();
  const uses = new Map<string, string[]>();
  let current = "";
  let group: string | undefined;
  for (const raw of block.split("\n")) {
    const line = raw.replace(/\s#.*$/, "");
    const definition = /^([A-Z][A-Z ]*[A-Z]):/.exec(line);
    if (definition) {
      group = definition[1];
      groups.set(group, new Set());
    } else if (line.startsWith("authctl")) {
      group = undefined;
      const words = line.split(/\s+/).slice(1);
      const path: string[] = [];
      for (const word of words) {
        if (!/^[a-z][a-z-]*$/.test(word)) break;
        path.push(word);
      }
      current = path.join(" ");
    } else if (!/^\s/.test(line)) {
      throw new Error(`unexpected line in the Usage block: ${raw}`);
    }
    const flags = group
      ? groups.get(group)!
      : usage.get(current) ?? new Set<string>();
    for (const m of line.matchAll(FLAG)) flags.add(m[1]);
    if (!group) {
      usage.set(current, flags);
      for (const m of line.matchAll(/\[([A-Z][A-Z ]* FLAGS)…\]/g)) {
        uses.set(current, [...uses.get(current) ?? [], m[1]]);
      }
    }
  }
  for (const [path, names] of uses) {
    for (const name of names) {
      const flags = groups.get(name);
      if (!flags) throw new Error(`the Usage block never defines ${name}`);
      for (const f of flags) usage.get(path)!.add(f);
    }
  }
  return usage;
}

/**
 * The common-flags table: which commands take it (from the sentence above
 * it), and its flags, some for one command only ("(login only)").
 */
function commonFlags() {
  const intro =
    /\n([^\n]*(?:\n[^\n|]+)*)\n\n\| flag \| environment \| meaning \|/
      .exec(readme)?.[1];
  if (!intro) throw new Error("README has no common-flags table");
  const takers = intro.split(/\s+also take/)[0];
  const commands = [...takers.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]);
  const table = readme.slice(
    readme.indexOf("| flag | environment | meaning |"),
  );
  const rows = table.split("\n").slice(2).filter((l) => l.startsWith("|"));
  const all: string[] = [];
  const only = new Map<string, string>();
  for (const row of rows) {
    const cell = row.split("|")[1];
    const flag = [...cell.matchAll(FLAG)].map((m) => m[1])[0];
    if (!flag) continue;
    const restricted = /\((\w[\w-]*) only\)/.exec(cell)?.[1];
    if (restricted) only.set(flag, restricted);
    else all.push(flag);
  }
  return { commands, all, only };
}

Deno.test("README: the Usage block lists every command and flag of --help, and nothing else", async () => {
  const usage = readmeUsage();
  const common = commonFlags();
  const top = await help([]);
  const commands = helpCommands(top);
  // Every command, every subcommand of a group (profiles, ci), and the
  // program itself.
  const paths = [""];
  for (const command of commands) {
    const subs = helpCommands(await help([command]))
      .filter((sub) => sub !== "help");
    if (subs.length) paths.push(...subs.map((sub) => `${command} ${sub}`));
    else paths.push(command);
  }
  const mismatches: string[] = [];
  for (const path of paths) {
    const { flags: shown, positives } = helpFlagsWithPairs(
      await help(path ? path.split(" ") : []),
    );
    // -V: the earlier releases' spelling of -v, still understood.
    if (path === "") shown.push("-V");
    const written = new Set(usage.get(path) ?? []);
    if (!usage.has(path)) mismatches.push(`"${path}" is not in the README`);
    if (common.commands.includes(path)) {
      for (const f of common.all) written.add(f);
    }
    for (const [flag, command] of common.only) {
      if (command === path) written.add(flag);
    }
    // -h/--help: on every command, shown once for the program.
    written.delete("-h");
    written.delete("--help");
    // A negatable pair may be written either way, or both.
    for (const p of positives) written.delete(p);
    const missing = shown.filter((f) => !written.has(f));
    const extra = [...written].filter((f) => !shown.includes(f));
    if (missing.length) {
      mismatches.push(`"${path}": README lacks ${missing.join(" ")}`);
    }
    if (extra.length) {
      mismatches.push(
        `"${path}": README shows ${extra.join(" ")}, help does not`,
      );
    }
  }
  for (const path of usage.keys()) {
    if (!paths.includes(path)) {
      mismatches.push(`README shows "${path}", which help does not list`);
    }
  }
  // The universal help flags are written once, for the program itself.
  for (const f of ["-h", "--help"]) {
    if (!usage.get("")?.has(f)) mismatches.push(`README lacks "${f}"`);
  }
  // Each command that takes the common flags really does.
  for (const command of common.commands) {
    if (!paths.includes(command)) {
      mismatches.push(`the common flags name "${command}", not a command`);
    }
  }
  assertEquals(mismatches, []);
});

Deno.test("README: the common flags are taken by exactly the commands it says", async () => {
  const common = commonFlags();
  const commands = helpCommands(await help([]));
  const takers: string[] = [];
  for (const command of commands) {
    const flags = helpFlags(await help([command]));
    if (common.all.every((f) => flags.includes(f))) takers.push(command);
  }
  assertEquals(takers.sort(), [...common.commands].sort());
});

Deno.test("README: links stay inside the repository and point at files that exist", async () => {
  const broken: string[] = [];
  for (const m of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1];
    if (/^(https?:|#)/.test(target)) continue;
    const url = new URL(target, root);
    if (!url.pathname.startsWith(root.pathname)) {
      broken.push(`${target} (outside the repository)`);
      continue;
    }
    if (!await Deno.stat(url).then(() => true, () => false)) {
      broken.push(`${target} (no such file)`);
    }
  }
  assertEquals(broken, []);
});

Deno.test("README: help's exit codes are the README's, and every command's help ends with examples", async () => {
  const table = readme.slice(readme.indexOf("## Exit codes"));
  const readmeCodes = [...table.matchAll(/^\| ([\d, ]+) \|/gm)]
    .map((m) => m[1].trim());
  const top = await help([]);
  const shown = [
    ...(top.split("\nEXIT CODES\n")[1] ?? "").matchAll(
      /^ {2}([\d, ]+?) {2,}/gm,
    ),
  ].map((m) => m[1].trim());
  assertEquals(shown, readmeCodes);
  const commands = helpCommands(top);
  const subs = helpCommands(await help(["profiles"])).filter((s) =>
    s !== "help"
  );
  for (
    const path of [
      [],
      ...commands.map((c) => [c]),
      ...subs.map((s) => ["profiles", s]),
    ]
  ) {
    const text = await help(path);
    const examples = (text.split("\nEXAMPLES\n")[1] ?? "").split("\n\n")[0];
    const lines = examples.split("\n").filter((l) => l.startsWith("  "));
    assertEquals(
      lines.length >= 2,
      true,
      `"${path.join(" ")}" --help ends with examples:\n${text}`,
    );
    assertEquals(
      lines.every((l) => /\bauthctl\b/.test(l)),
      true,
      `examples of "${path.join(" ")}" use the command`,
    );
  }
});

Deno.test("README: status --json's fields are exactly those it lists", async () => {
  const { status } = await import("../src/app/status.ts");
  const { MemoryStore } = await import("../src/store/memory_store.ts");
  const { resolveSettings } = await import("../src/config/settings.ts");
  const { parseConfig } = await import("../src/config/config_file.ts");
  const report = await status(
    { store: new MemoryStore(), clock: systemClock },
    resolveSettings({
      flags: {},
      env: envFrom({}),
      config: parseConfig("c", {}),
      build: { ...buildInfo, issuer: "https://id.example" },
    }),
  );
  const paragraph = readme.slice(
    readme.indexOf("prints an object with the stable fields"),
  );
  const listed = paragraph.slice(0, paragraph.indexOf("Every field is always"))
    .matchAll(/`([a-zA-Z]+)`/g);
  const names = new Set([...listed].map((m) => m[1]));
  for (const value of ["valid", "expired", "retired", "refused", "null"]) {
    names.delete(value);
  }
  assertEquals([...names].sort(), Object.keys(report).sort());
});

Deno.test("README: the commands that read standard input are the ones it names", () => {
  const sentence = readme.slice(
    readme.indexOf("Standard input is read, when it is not a terminal"),
  ).split("\n\n")[0].split("; `--flow auto`")[0];
  for (
    const reader of [
      "login --token-stdin",
      "login --flow paste",
      "verify -",
      "api --data -",
      "git-credential",
    ]
  ) {
    assertEquals(sentence.includes(`\`${reader}`), true, reader);
  }
});
