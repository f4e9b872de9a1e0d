/**
 * The platform side of `upgrade` and of the update notice: this binary's
 * file, the real file system and network, the state directory. Loaded only
 * by `upgrade` and by the commands that show the notice (`login`,
 * `status`, `profiles`, `version`).
 *
 * @module
 */

import { githubUrl } from "../app/releases.ts";
import type { UpgradeDeps } from "../app/upgrade.ts";
import { startUpdateNotice, type UpdateNotice } from "../app/update_notice.ts";
import { stateDir } from "../config/paths.ts";
import { denoInstallFiles, selfBinary } from "../platform/self.ts";
import { denoStateFile } from "../platform/state_file.ts";
import type { CliDeps } from "./types.ts";

/** What `upgrade` runs against, from the CLI's platform. */
export function upgradeDeps(cli: CliDeps): UpgradeDeps {
  return {
    build: cli.build,
    self: selfBinary(),
    files: denoInstallFiles,
    fetch: cli.fetch ?? fetch,
    target: Deno.build.target,
    os: cli.system.os,
    githubUrl: githubUrl(cli.system.env.get("AUTHCTL_GITHUB_URL")),
    terminal: cli.terminal,
    signal: cli.signal,
  };
}

/** Starts this run's update check (undefined when there is none to make). */
export function updateNotice(cli: CliDeps): UpdateNotice | undefined {
  const dir = stateDir(cli.system, cli.build.name);
  if (!dir) return undefined;
  return startUpdateNotice({
    build: cli.build,
    env: cli.system.env,
    terminal: cli.terminal,
    clock: cli.clock,
    fetch: cli.fetch ?? fetch,
    cache: denoStateFile(dir, "update-check.json"),
    self: selfBinary(),
    readText: denoInstallFiles.readText,
    target: Deno.build.target,
  });
}
