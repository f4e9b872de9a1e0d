/**
 * `deno task build`: a branded authctl.
 *
 * 1. Reads and validates the `AUTHCTL_BUILD_*` settings (a client secret is
 *    refused outright).
 * 2. Stages a copy of the program with those settings written into
 *    `src/config/build_info.ts` (the source tree is never modified).
 * 3. Bundles it into one file, `NAME-VERSION.bundle.js`, and runs that from an
 *    empty directory with the binary's permission flags: `version --json`
 *    must show the baked settings.
 * 4. Compiles `NAME-VERSION-TARGET[.exe]` with `deno compile` for the host or
 *    each `--target`, with exactly the permission flags of `deno task
 *    authctl`, and smoke-tests the host's binary.
 * 5. Writes `SHA256SUMS` for everything in the output directory.
 *
 * `deno compile` downloads its base runtime from dl.deno.land; where that
 * host cannot be reached the script says so, skips step 4 (failing instead
 * with `--require-compile`) and still does the rest.
 *
 * Usage: `deno task build [--target TRIPLE]... [--all-targets]
 * [--out-dir DIR] [--no-compile] [--require-compile]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { BuildInfo } from "../src/config/build_info.ts";
import {
  artifactName,
  BuildConfigError,
  bundleName,
  isTarget,
  readBuildConfig,
  renderBuildInfo,
  type Target,
  TARGETS,
} from "./build_config.ts";
import { permissionFlags } from "./cli_args.ts";
import { smokeTest } from "./smoke.ts";

const root = new URL("../", import.meta.url);

/** What a build produced. */
export interface BuildResult {
  info: BuildInfo;
  /** Absolute path of the output directory. */
  outDir: string;
  /** The bundle's file name (in `outDir`). */
  bundle: string;
  /** Compiled binaries' file names (in `outDir`). */
  binaries: string[];
  /** Why compiling was skipped, when it was. */
  compileSkipped?: string;
}

/** Options of {@linkcode build}. */
export interface BuildOptions {
  outDir: string;
  targets: Target[];
  compile: boolean;
  requireCompile: boolean;
  env: Record<string, string>;
  log: (line: string) => void;
}

/** Thrown when the build cannot finish; the message says why and what to do. */
export class BuildFailure extends Error {
  /** Process exit code: 2 for bad settings, 1 otherwise. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "BuildFailure";
    this.exitCode = exitCode;
  }
}

/** Runs the whole build. */
export async function build(options: BuildOptions): Promise<BuildResult> {
  const { log } = options;
  const info = await buildSettings(options.env);
  log(
    `building ${info.name} ${info.version}${
      info.commit ? ` (${info.commit.slice(0, 12)})` : ""
    }: issuer ${info.issuer || "(none)"}, client ID ${
      info.clientId || "(none)"
    }`,
  );

  await Deno.mkdir(options.outDir, { recursive: true });
  const outDir = await Deno.realPath(options.outDir);
  const stage = `${outDir}/.stage`;
  await Deno.remove(stage, { recursive: true }).catch(() => {});
  try {
    await stageSources(stage, info);
    const permissions = await permissionFlags();

    const bundle = bundleName(info);
    await bundleTo(stage, `${outDir}/${bundle}`, info, permissions);
    await smokeTest(
      [Deno.execPath(), "run", ...permissions, `${outDir}/${bundle}`],
      info,
    );
    log(`bundled ${bundle}; from an empty directory it shows its settings`);

    const binaries: string[] = [];
    let compileSkipped: string | undefined;
    if (options.compile) {
      for (const target of options.targets) {
        const name = artifactName(info, target);
        const outcome = await compile(stage, target, `${outDir}/${name}`, [
          ...permissions,
        ]);
        if (outcome.unreachable) {
          compileSkipped = outcome.unreachable;
          break;
        }
        binaries.push(name);
        if (target === Deno.build.target) {
          await smokeTest([`${outDir}/${name}`], info, { target });
          log(`compiled ${name}; it runs and shows its settings`);
        } else {
          log(`compiled ${name} (not run here: not this machine's target)`);
        }
      }
    } else {
      compileSkipped = "--no-compile was given";
    }
    if (compileSkipped) {
      const message =
        `deno compile did not run: ${compileSkipped}. Everything before it was built and checked (${bundle}). The release workflow compiles on GitHub's runners, which reach dl.deno.land.`;
      if (options.requireCompile) throw new BuildFailure(message);
      log(`NOT COMPILED — ${message}`);
    }

    await writeChecksums(outDir, [bundle, ...binaries]);
    log(`wrote SHA256SUMS in ${outDir}`);
    return { info, outDir, bundle, binaries, compileSkipped };
  } finally {
    await Deno.remove(stage, { recursive: true }).catch(() => {});
  }
}

/**
 * The build's settings from `env` (the `AUTHCTL_BUILD_*` variables), with
 * deno.json's version and the checked-out commit as defaults; bad settings
 * are a {@linkcode BuildFailure} with exit code 2.
 */
export async function buildSettings(
  env: Record<string, string>,
): Promise<BuildInfo> {
  const denoJson = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  );
  try {
    return readBuildConfig(env, {
      version: denoJson.version,
      commit: await gitCommit(),
    });
  } catch (err) {
    if (err instanceof BuildConfigError) throw new BuildFailure(err.message, 2);
    throw err;
  }
}

/** Copies what the program is made of, with the build's settings baked in. */
async function stageSources(stage: string, info: BuildInfo): Promise<void> {
  await Deno.mkdir(stage, { recursive: true });
  for (const file of ["main.ts", "deno.json", "deno.lock"]) {
    await Deno.copyFile(new URL(file, root), `${stage}/${file}`);
  }
  await copyTree(new URL("src/", root), `${stage}/src`);
  const source = await Deno.readTextFile(
    new URL("src/config/build_info.ts", root),
  );
  await Deno.writeTextFile(
    `${stage}/src/config/build_info.ts`,
    renderBuildInfo(source, info),
  );
}

async function copyTree(from: URL, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) {
      await copyTree(new URL(`${entry.name}/`, from), `${to}/${entry.name}`);
    } else if (entry.isFile) {
      await Deno.copyFile(new URL(entry.name, from), `${to}/${entry.name}`);
    }
  }
}

/**
 * `deno bundle` into one file. The keychain library is the one part left
 * out (its native addon cannot be inlined): the bundle imports it as an
 * `npm:` specifier pinned to the locked version, which Deno fetches on first
 * use. Minified so that no path of the build machine ends up in it: two
 * builds of one commit with the same settings give the same bytes.
 */
async function bundleTo(
  stage: string,
  output: string,
  info: BuildInfo,
  permissions: string[],
): Promise<void> {
  const out = await denoCommand(stage, [
    "bundle",
    "--quiet",
    "--frozen-lockfile",
    "--platform",
    "deno",
    "--minify",
    "--keep-names",
    "--external",
    "@napi-rs/keyring",
    "--output",
    output,
    "main.ts",
  ]);
  if (out.code !== 0) {
    throw new BuildFailure(`deno bundle failed:\n${out.stderr}`);
  }
  const lock = JSON.parse(await Deno.readTextFile(`${stage}/deno.lock`));
  const keyring = lock.specifiers?.["npm:@napi-rs/keyring@^2.1.2"] ??
    Object.entries(lock.specifiers ?? {}).find(([k]) =>
      k.startsWith("npm:@napi-rs/keyring@")
    )?.[1];
  if (typeof keyring !== "string") {
    throw new BuildFailure("deno.lock has no version of @napi-rs/keyring.");
  }
  const code = await Deno.readTextFile(output);
  const external = /import\(\s*["']@napi-rs\/keyring["']\s*\)/g;
  const hits = code.match(external)?.length ?? 0;
  if (hits !== 1) {
    throw new BuildFailure(
      `The bundle imports @napi-rs/keyring ${hits} times; expected exactly once (src/store/keychain_store.ts).`,
    );
  }
  const header = `// ${info.name} ${info.version}${
    info.commit ? ` (${info.commit})` : ""
  }: one-file build of authctl.\n// Run: deno run ${permissions.join(" ")} ${
    output.split("/").pop()
  } --help\n`;
  await Deno.writeTextFile(
    output,
    header +
      code.replace(external, `import("npm:@napi-rs/keyring@${keyring}")`),
  );
}

/** Compiles one target; reports (does not throw) an unreachable runtime host. */
async function compile(
  stage: string,
  target: Target,
  output: string,
  permissions: string[],
): Promise<{ unreachable?: string }> {
  const out = await denoCommand(stage, [
    "compile",
    "--quiet",
    "--frozen-lockfile",
    "--exclude-unused-npm",
    ...permissions,
    "--target",
    target,
    "--output",
    output,
    "main.ts",
  ]);
  if (out.code === 0) return {};
  const host = /https:\/\/dl\.deno\.land\/\S+/.exec(out.stderr);
  if (host && /error sending request|dns error|connect/i.test(out.stderr)) {
    return {
      unreachable: `it needs its base runtime from ${
        host[0].replace(/[):,]+$/, "")
      }, which this machine cannot reach`,
    };
  }
  throw new BuildFailure(
    `deno compile --target ${target} failed:\n${out.stderr}`,
  );
}

/** Writes `SHA256SUMS` (the `sha256sum` format) for `files` in `dir`. */
export async function writeChecksums(
  dir: string,
  files: string[],
): Promise<void> {
  const lines: string[] = [];
  for (const file of [...files].sort()) {
    const bytes = await Deno.readFile(`${dir}/${file}`);
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", bytes),
    );
    lines.push(`${digest.toHex()}  ${file}`);
  }
  await Deno.writeTextFile(`${dir}/SHA256SUMS`, lines.join("\n") + "\n");
}

function gitCommit(): Promise<string> {
  return gitOutput(["rev-parse", "HEAD"]);
}

/** What `git ARGS` prints in this checkout, trimmed; "" when git cannot say. */
export async function gitOutput(args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command("git", {
      args,
      cwd: root,
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.code === 0 ? new TextDecoder().decode(out.stdout).trim() : "";
  } catch {
    return "";
  }
}

async function denoCommand(
  cwd: string,
  args: string[],
): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: "string", multiple: true, default: [] },
      "all-targets": { type: "boolean", default: false },
      "out-dir": { type: "string", default: "dist" },
      "no-compile": { type: "boolean", default: false },
      "require-compile": { type: "boolean", default: false },
    },
  });
  const targets = values["all-targets"]
    ? Object.keys(TARGETS) as Target[]
    : values.target.length
    ? values.target
    : [Deno.build.target];
  const bad = targets.filter((t) => !isTarget(t));
  if (bad.length) {
    console.error(
      `build: unknown target "${bad[0]}". Use one of: ${
        Object.keys(TARGETS).join(", ")
      }.`,
    );
    Deno.exit(2);
  }
  try {
    const result = await build({
      outDir: values["out-dir"],
      targets: targets as Target[],
      compile: !values["no-compile"],
      requireCompile: values["require-compile"],
      env: Deno.env.toObject(),
      log: (line) => console.error(`build: ${line}`),
    });
    for (const file of [result.bundle, ...result.binaries, "SHA256SUMS"]) {
      console.log(`${result.outDir}/${file}`);
    }
  } catch (err) {
    if (err instanceof BuildFailure) {
      console.error(`build: ${err.message}`);
      Deno.exit(err.exitCode);
    }
    throw err;
  }
}
