/**
 * How this binary was installed, told from its path (Homebrew's Cellar,
 * Scoop's apps, winget's packages) or from the marker a `.deb` or `.rpm`
 * installs beside it; and the command that updates an install of that kind.
 *
 * @module
 */

import type { BuildInfo } from "../config/build_info.ts";
import {
  channels,
  debName,
  isTarget,
  packageMarker,
  rpmName,
} from "../config/distribution.ts";
import type { SelfBinary } from "../platform/self.ts";

/** Who owns this binary's file. */
export type InstallKind =
  | "download"
  | "homebrew"
  | "scoop"
  | "winget"
  | "deb"
  | "rpm"
  | "source";

/** The package managers, as people name them. */
const MANAGER_NAMES: Record<InstallKind, string> = {
  download: "a download",
  homebrew: "Homebrew",
  scoop: "Scoop",
  winget: "winget",
  deb: "dpkg (a .deb package)",
  rpm: "rpm (an .rpm package)",
  source: "a source checkout",
};

/** How people call the owner of an install of `kind`. */
export function managerName(kind: InstallKind): string {
  return MANAGER_NAMES[kind];
}

/**
 * How `self` was installed. `readText` reads the package marker (one small
 * file, read only by `upgrade` and the update notice).
 */
export async function installKind(
  self: SelfBinary,
  name: string,
  readText: (path: string) => Promise<string | undefined>,
): Promise<InstallKind> {
  if (self.kind === "source") return "source";
  const path = self.path.replaceAll("\\", "/");
  const lower = path.toLowerCase();
  if (
    path.includes("/Cellar/") || path.startsWith("/opt/homebrew/") ||
    path.startsWith("/home/linuxbrew/.linuxbrew/")
  ) return "homebrew";
  if (lower.includes("/scoop/apps/")) return "scoop";
  if (
    lower.includes("/microsoft/winget/packages/") ||
    lower.includes("/microsoft/winget/links/")
  ) return "winget";
  const parts = path.split("/");
  if (parts.length >= 3) {
    const prefix = parts.slice(0, -2).join("/");
    const marker = await readText(`${prefix}/${packageMarker(name)}`);
    const said = marker?.trim();
    if (said === "deb" || said === "rpm") return said;
  }
  return "download";
}

/**
 * The command that brings an install of `kind` to `version` (the latest;
 * undefined when it could not be learnt), for a person to run.
 */
export function updateCommand(
  kind: InstallKind,
  build: Pick<BuildInfo, "name" | "repo">,
  version: string | undefined,
  where: { target: string; githubUrl: string },
): string {
  const { target, githubUrl } = where;
  const names = channels(build);
  const releases = `${githubUrl}/${build.repo}/releases`;
  const linux = isTarget(target) && target.includes("linux")
    ? target
    : undefined;
  switch (kind) {
    case "homebrew":
      return `brew upgrade ${names?.brewFormula ?? build.name}`;
    case "scoop":
      return `scoop update ${build.name}`;
    case "winget":
      return `winget upgrade --id ${names?.wingetId ?? build.name}`;
    case "deb": {
      if (!version || !linux) {
        return `download the newest ${build.name}_*.deb from ${releases}/latest, then: sudo apt install ./${build.name}_*.deb`;
      }
      const file = debName({ name: build.name, version }, linux);
      return `curl -fLO ${releases}/download/v${version}/${file} && sudo apt install ./${file}`;
    }
    case "rpm": {
      if (!version || !linux) {
        return `download the newest ${build.name}-*.rpm from ${releases}/latest, then: sudo dnf install ./${build.name}-*.rpm`;
      }
      return `sudo dnf install ${releases}/download/v${version}/${
        rpmName({ name: build.name, version }, linux)
      }`;
    }
    case "source":
      return "git pull";
    case "download":
      return `${build.name} upgrade`;
  }
}
