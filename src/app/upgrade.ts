/**
 * `upgrade`: replaces a downloaded binary with the newest release of the
 * same build. The binary comes from the build's own repository, is checked
 * against the release's `SHA256SUMS`, must show the same name and baked
 * settings when run, and takes the old one's place in one rename. A binary
 * that a package manager installed is left to it.
 *
 * @module
 */

import type { BuildInfo } from "../config/build_info.ts";
import {
  bakedSettings,
  compareVersions,
  isTarget,
} from "../config/distribution.ts";
import { UsageError } from "../errors.ts";
import type { InstallFiles, SelfBinary } from "../platform/self.ts";
import { anySignal } from "../platform/signal.ts";
import type { Terminal } from "../platform/terminal.ts";
import {
  type InstallKind,
  installKind,
  managerName,
  updateCommand,
} from "./install_kind.ts";
import {
  downloadVerified,
  latestRelease,
  ReleaseError,
  type ReleaseSource,
} from "./releases.ts";

/** What `upgrade` runs against. */
export interface UpgradeDeps {
  build: BuildInfo;
  self: SelfBinary;
  files: InstallFiles;
  fetch: typeof fetch;
  /** This machine's target triple. */
  target: string;
  os: typeof Deno.build.os;
  /** From {@linkcode import("./releases.ts").githubUrl}. */
  githubUrl: string;
  terminal: Terminal;
  signal: AbortSignal;
}

/** What the newest release is, next to this build. */
export interface UpgradeCheck {
  current: string;
  latest: string;
  newer: boolean;
  kind: InstallKind;
  /** The command that updates this install. */
  command: string;
}

/** How long the new binary may take to show its version. */
const VERIFY_TIMEOUT_MS = 30_000;
/** How long reading `SHA256SUMS` may take (5 s when only for a hint). */
const LOOKUP_TIMEOUT_MS = 30_000;
const HINT_TIMEOUT_MS = 5_000;
/** How long the binary's download may take. */
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

/** The run's signal, with a deadline `ms` from now. */
function within(deps: UpgradeDeps, ms: number): AbortSignal {
  return anySignal([deps.signal, AbortSignal.timeout(ms)]);
}

/** `upgrade --check`: whether a newer release exists, and how to get it. */
export async function checkUpgrade(deps: UpgradeDeps): Promise<UpgradeCheck> {
  const source = releaseSource(deps);
  const kind = await installKind(
    deps.self,
    deps.build.name,
    deps.files.readText,
  );
  const latest = await latestRelease(source, within(deps, LOOKUP_TIMEOUT_MS));
  return {
    current: deps.build.version,
    latest: latest.version,
    newer: compareVersions(latest.version, deps.build.version) > 0,
    kind,
    command: updateCommand(kind, deps.build, latest.version, deps),
  };
}

/**
 * `upgrade`: installs the newest release in place of this binary. Resolves
 * with the version now installed; throws, leaving the binary as it was,
 * when anything is not as it should be.
 */
export async function upgrade(deps: UpgradeDeps): Promise<string> {
  const { build, self, files, terminal } = deps;
  const source = releaseSource(deps);
  const kind = await installKind(self, build.name, files.readText);
  if (kind === "source") {
    throw new UsageError(
      "upgrade_from_source",
      `This ${build.name} runs from ${self.path}, not from a release binary, so upgrade cannot replace it. Update the checkout (git pull), or install the release binary: ${
        reinstallCommand(deps)
      }`,
    );
  }
  if (kind !== "download") {
    const latest = await latestRelease(
      source,
      within(deps, HINT_TIMEOUT_MS),
    ).catch(() => undefined);
    throw new ReleaseError(
      "package_managed",
      `${self.path} was installed by ${
        managerName(kind)
      }; upgrade it the same way: ${
        updateCommand(kind, build, latest?.version, deps)
      }`,
    );
  }
  const latest = await latestRelease(source, within(deps, LOOKUP_TIMEOUT_MS));
  if (compareVersions(latest.version, build.version) <= 0) {
    terminal.err(
      `${build.name} ${build.version} is the latest release (${build.repo}).\n`,
    );
    return build.version;
  }
  terminal.err(`Downloading ${latest.file} from ${build.repo}…\n`);
  const data = await downloadVerified(
    source,
    latest,
    within(deps, DOWNLOAD_TIMEOUT_MS),
  );
  let temp: string;
  try {
    temp = await files.writeBeside(self.path, data);
  } catch (err) {
    const dir = self.path.replace(/[\\/][^\\/]*$/, "");
    throw new ReleaseError(
      "cannot_write",
      `Cannot write beside ${self.path}: ${
        (err as Error).message
      }. Run the upgrade as the user who owns ${dir} (e.g. with sudo), or install the new release into a directory of your own: ${
        reinstallCommand(deps)
      }`,
      { cause: err },
    );
  }
  try {
    await checkSameBuild(deps, temp, latest.version);
    await replace(files, temp, self.path, deps.os);
  } catch (err) {
    await files.remove(temp);
    throw err;
  }
  terminal.err(
    `Upgraded ${build.name} ${build.version} → ${latest.version} (${self.path}), verified against SHA256SUMS.\n`,
  );
  return latest.version;
}

/** The install script's command line, for this build's latest release. */
function reinstallCommand(deps: UpgradeDeps): string {
  const latest =
    `${deps.githubUrl}/${deps.build.repo}/releases/latest/download`;
  const mirror = deps.githubUrl !== "https://github.com";
  if (deps.os === "windows") {
    return `irm ${latest}/install.ps1 | iex`;
  }
  return `curl -fsSL ${latest}/install.sh | sh -s -- --dir ~/.local/bin${
    mirror ? ` --base-url ${latest}` : ""
  }`;
}

function releaseSource(deps: UpgradeDeps): ReleaseSource {
  const { build, target } = deps;
  if (!build.repo) {
    throw new UsageError(
      "no_release_repository",
      `This ${build.name} was built without a release repository (AUTHCTL_BUILD_REPO), so it cannot look for a newer one. Install a release with install.sh, or update the checkout it runs from.`,
    );
  }
  if (!isTarget(target)) {
    throw new UsageError(
      "no_release_target",
      `No ${build.name} release is made for ${target}.`,
    );
  }
  return {
    repo: build.repo,
    name: build.name,
    target,
    githubUrl: deps.githubUrl,
    fetch: deps.fetch,
  };
}

/**
 * Runs the new binary's `version --json`: it must be this build (name and
 * every baked setting) at the version the release names.
 */
async function checkSameBuild(
  deps: UpgradeDeps,
  path: string,
  version: string,
): Promise<void> {
  const { build } = deps;
  let shown: { name?: unknown; version?: unknown; baked?: unknown };
  try {
    const out = await deps.files.run(
      path,
      ["version", "--json"],
      VERIFY_TIMEOUT_MS,
    );
    if (out.code !== 0) throw new Error(`it exited with ${out.code}`);
    shown = JSON.parse(out.stdout);
  } catch (err) {
    throw new ReleaseError(
      "new_binary_broken",
      `The downloaded ${build.name} ${version} does not run here (${
        (err as Error).message
      }). Nothing was changed.`,
      { cause: err },
    );
  }
  const want = canonical({
    name: build.name,
    version,
    baked: bakedSettings(build),
  });
  const got = canonical({
    name: shown.name,
    version: shown.version,
    baked: shown.baked,
  });
  if (want !== got) {
    throw new ReleaseError(
      "other_build",
      `The downloaded binary is not this build of ${build.name}: it shows ${got}, this one expects ${want}. Nothing was changed. If the publisher changed the build's settings on purpose, reinstall with install.sh.`,
    );
  }
}

/** JSON with sorted keys, to compare two values. */
function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(
          Object.entries(v).sort(([a], [b]) => a < b ? -1 : 1),
        )
        : v,
  );
}

/**
 * Puts `temp` in `target`'s place in one rename. Windows will not replace a
 * running program's file, but lets it be renamed: the old one is moved
 * aside first (and put back if the new one cannot take its place).
 */
async function replace(
  files: InstallFiles,
  temp: string,
  target: string,
  os: typeof Deno.build.os,
): Promise<void> {
  if (os !== "windows") return await files.rename(temp, target);
  const aside = `${target}.old`;
  await files.remove(aside).catch(() => {});
  await files.rename(target, aside);
  try {
    await files.rename(temp, target);
  } catch (err) {
    await files.rename(aside, target);
    throw err;
  }
}
