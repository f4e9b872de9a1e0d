/**
 * How a build is distributed: the names of its release files, and where a
 * package manager keeps it. One place for each rule, read by the packaging
 * script (which writes the files), by `upgrade` (which reads
 * `SHA256SUMS`) and by the update notice (which names the command that
 * updates this install).
 *
 * @module
 */

import type { BuildInfo } from "./build_info.ts";

/**
 * What a build is beyond its version: its name and every baked setting, as
 * `version --json` shows them (a baked client secret only said to be
 * there). `upgrade` installs a binary only when this is the same.
 */
export function bakedSettings(build: BuildInfo): Record<string, unknown> {
  const { clientSecret, ...provider } = build.provider;
  return {
    issuer: build.issuer || null,
    clientId: build.clientId || null,
    scopes: build.scopes,
    audience: build.audience || null,
    ports: build.ports || null,
    provider: clientSecret
      ? { ...provider, clientSecret: "(baked)" }
      : provider,
    repo: build.repo || null,
    updateNotice: build.updateNotice !== false,
  };
}

/** The targets `deno compile` builds for, and their file-name suffix. */
export const TARGETS = {
  "x86_64-unknown-linux-gnu": "",
  "aarch64-unknown-linux-gnu": "",
  "x86_64-apple-darwin": "",
  "aarch64-apple-darwin": "",
  "x86_64-pc-windows-msvc": ".exe",
} as const;

/** A target triple authctl is released for. */
export type Target = keyof typeof TARGETS;

/** Whether `value` is a release target. */
export function isTarget(value: string): value is Target {
  return Object.hasOwn(TARGETS, value);
}

/** `NAME-VERSION-TARGET[.exe]`: the file name of a compiled binary. */
export function artifactName(
  info: Pick<BuildInfo, "name" | "version">,
  target: Target,
): string {
  return `${info.name}-${info.version}-${target}${TARGETS[target]}`;
}

/** `NAME-VERSION-TARGET.tar.gz`: a binary with its man page (not Windows). */
export function archiveName(
  info: Pick<BuildInfo, "name" | "version">,
  target: Target,
): string {
  return `${info.name}-${info.version}-${target}.tar.gz`;
}

/** One line of a release's `SHA256SUMS`. */
export interface ReleaseAsset {
  /** Lowercase hex SHA-256. */
  sha256: string;
  /** File name in the release. */
  file: string;
}

/**
 * The compiled binary for `target` among `SHA256SUMS` lines, with its
 * version: only a file named exactly `NAME-VERSION-TARGET[.exe]`, so a
 * build never picks another build's binary, an archive or a package.
 */
export function findBinary(
  sums: string,
  name: string,
  target: Target,
): (ReleaseAsset & { version: string }) | undefined {
  const suffix = `-${target}${TARGETS[target]}`;
  for (const line of sums.split("\n")) {
    const hit = /^([0-9a-f]{64}) [ *](\S+)$/.exec(line.trim());
    if (!hit) continue;
    const [, sha256, file] = hit;
    if (!file.startsWith(`${name}-`) || !file.endsWith(suffix)) continue;
    const version = file.slice(name.length + 1, -suffix.length);
    if (SEMVER.test(version)) return { sha256, file, version };
  }
  return undefined;
}

/** A semantic version (no leading "v"). */
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/**
 * Compares two semantic versions (SemVer 2.0.0 §11): negative when `a` is
 * older, 0 when equal, positive when newer. A version that does not parse
 * is older than every one that does.
 */
export function compareVersions(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (!pa || !pb) return (pa ? 1 : 0) - (pb ? 1 : 0);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const [ra, rb] = [pa[4], pb[4]];
  if (ra === rb) return 0;
  if (ra === undefined) return 1;
  if (rb === undefined) return -1;
  const xa = ra.split(".");
  const xb = rb.split(".");
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    if (xa[i] === undefined) return -1;
    if (xb[i] === undefined) return 1;
    const na = /^\d+$/.test(xa[i]);
    const nb = /^\d+$/.test(xb[i]);
    if (na && nb) {
      const d = Number(xa[i]) - Number(xb[i]);
      if (d !== 0) return Math.sign(d);
    } else if (na !== nb) {
      return na ? -1 : 1;
    } else if (xa[i] !== xb[i]) {
      return xa[i] < xb[i] ? -1 : 1;
    }
  }
  return 0;
}

/** Where a build's package-manager files are published, by convention. */
export interface Channels {
  /** `OWNER/REPO`, the GitHub repository of the releases. */
  repo: string;
  /** `OWNER/tap/NAME`: what `brew install` takes (tap repo `OWNER/homebrew-tap`). */
  brewFormula: string;
  /** The tap's repository. */
  brewTapRepo: string;
  /** `OWNER/scoop-bucket`: the Scoop bucket's repository. */
  scoopBucketRepo: string;
  /** `OWNER.NAME`: the winget package identifier. */
  wingetId: string;
}

/**
 * The channels of a build with a release repository (`AUTHCTL_BUILD_REPO`),
 * or undefined for a build without one (from source).
 */
export function channels(
  info: Pick<BuildInfo, "name" | "repo">,
): Channels | undefined {
  if (!info.repo) return undefined;
  const owner = info.repo.split("/")[0];
  return {
    repo: info.repo,
    brewFormula: `${owner}/tap/${info.name}`,
    brewTapRepo: `${owner}/homebrew-tap`,
    scoopBucketRepo: `${owner}/scoop-bucket`,
    wingetId: `${owner}.${info.name}`,
  };
}

/** The Debian architecture of a Linux target (`amd64`, `arm64`). */
export function debianArch(target: Target): string {
  return target.startsWith("x86_64") ? "amd64" : "arm64";
}

/** The RPM architecture of a Linux target (`x86_64`, `aarch64`). */
export function rpmArch(target: Target): string {
  return target.split("-")[0];
}

/**
 * The version as Debian and RPM order it: a pre-release (`1.2.0-rc.1`)
 * sorts before its release only when written with "~" (`1.2.0~rc.1`).
 */
export function packageVersion(version: string): string {
  return version.replace(/\+.*$/, "").replace("-", "~");
}

/** `NAME_VERSION_ARCH.deb`, Debian's file-name convention. */
export function debName(
  info: Pick<BuildInfo, "name" | "version">,
  target: Target,
): string {
  return `${info.name}_${packageVersion(info.version)}_${
    debianArch(target)
  }.deb`;
}

/** `NAME-VERSION-1.ARCH.rpm`, RPM's file-name convention. */
export function rpmName(
  info: Pick<BuildInfo, "name" | "version">,
  target: Target,
): string {
  return `${info.name}-${packageVersion(info.version)}-1.${
    rpmArch(target)
  }.rpm`;
}

/**
 * The marker a `.deb` or `.rpm` installs beside the binary
 * (`/usr/lib/NAME/installed-by`, for `/usr/bin/NAME`): its content names
 * the package manager, so `upgrade` leaves the binary to it.
 */
export function packageMarker(name: string): string {
  return `lib/${name}/installed-by`;
}
