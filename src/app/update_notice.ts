/**
 * The update notice: at most once a day, after an interactive command's
 * output, one line on stderr naming the new version and the command that
 * installs it (in the way this binary was installed). The check runs while
 * the command does, with a short deadline, and is remembered for a day in
 * the state directory, so most runs make no request at all.
 *
 * It is for a person at a terminal: never when stderr is not a terminal,
 * in CI, with `AUTHCTL_NO_UPDATE_NOTIFIER` set, or in a build that turned
 * it off; and `token`, `header`, `exec`, `git-credential` and `api` never
 * load this module.
 *
 * @module
 */

import type { BuildInfo } from "../config/build_info.ts";
import { compareVersions, isTarget } from "../config/distribution.ts";
import type { Clock } from "../platform/clock.ts";
import type { Env } from "../platform/env.ts";
import type { SelfBinary } from "../platform/self.ts";
import type { Terminal } from "../platform/terminal.ts";
import { installKind, updateCommand } from "./install_kind.ts";
import { githubUrl, latestRelease } from "./releases.ts";

/** How long the check may take: a command never waits longer for it. */
export const NOTICE_TIMEOUT_MS = 2_000;

/** How often the releases are asked, and the notice shown. */
export const NOTICE_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** The remembered check (`update-check.json` in the state directory). */
export interface NoticeState {
  /** When the releases were last asked (ms since the epoch). */
  checked?: number;
  /** The newest version they named. */
  latest?: string;
  /** When the notice was last shown. */
  notified?: number;
}

/** Where the state is kept. */
export interface NoticeCache {
  read(): Promise<string | undefined>;
  write(text: string): Promise<void>;
}

/** What the notice runs against. */
export interface NoticeDeps {
  build: BuildInfo;
  env: Env;
  terminal: Terminal;
  clock: Clock;
  fetch: typeof fetch;
  cache: NoticeCache;
  self: SelfBinary;
  /** Reads the package marker (see install_kind.ts). */
  readText: (path: string) => Promise<string | undefined>;
  target: string;
}

/** A started check: `finish` prints the notice, if any, when the command is done. */
export interface UpdateNotice {
  finish(): Promise<void>;
}

/** Why there is no notice for this run, or undefined when there may be one. */
export function noticeOff(
  deps: Pick<NoticeDeps, "build" | "env" | "terminal" | "self">,
): string | undefined {
  const { build, env, terminal } = deps;
  if (build.updateNotice === false) return "turned off in this build";
  if (!build.repo) return "no release repository";
  if (deps.self.kind === "source") return "running from source";
  if (!terminal.stderrIsTerminal) return "stderr is not a terminal";
  if (env.get("CI")) return "CI is set";
  if (env.get("AUTHCTL_NO_UPDATE_NOTIFIER")) {
    return "AUTHCTL_NO_UPDATE_NOTIFIER is set";
  }
  return undefined;
}

/**
 * Starts the check for this run (undefined when there is to be no notice):
 * reads the remembered state, and asks the releases only when the last
 * check is a day old.
 */
export function startUpdateNotice(deps: NoticeDeps): UpdateNotice | undefined {
  if (noticeOff(deps) !== undefined) return undefined;
  let base: string;
  try {
    base = githubUrl(deps.env.get("AUTHCTL_GITHUB_URL"));
  } catch {
    return undefined;
  }
  const target = deps.target;
  if (!isTarget(target)) return undefined;
  const signal = AbortSignal.timeout(NOTICE_TIMEOUT_MS);
  const work = (async () => {
    const state = parseState(await deps.cache.read().catch(() => undefined));
    const now = deps.clock.now();
    if (
      state.checked === undefined || state.checked > now ||
      now - state.checked >= NOTICE_INTERVAL_MS
    ) {
      // Remembered whatever the answer: offline, the next try is tomorrow.
      state.checked = now;
      try {
        const latest = await latestRelease({
          repo: deps.build.repo!,
          name: deps.build.name,
          target,
          githubUrl: base,
          fetch: deps.fetch,
        }, signal);
        state.latest = latest.version;
      } catch { /* unreachable, slow or odd: no notice this time */ }
      await deps.cache.write(JSON.stringify(state)).catch(() => {});
    }
    return state;
  })();
  return {
    async finish() {
      let state: NoticeState;
      try {
        state = await work;
      } catch {
        return;
      }
      const now = deps.clock.now();
      if (
        !state.latest ||
        compareVersions(state.latest, deps.build.version) <= 0 ||
        (state.notified !== undefined &&
          now - state.notified < NOTICE_INTERVAL_MS)
      ) return;
      const kind = await installKind(deps.self, deps.build.name, deps.readText);
      const command = updateCommand(kind, deps.build, state.latest, {
        target,
        githubUrl: base,
      });
      deps.terminal.err(
        `A new release of ${deps.build.name} is available: ${deps.build.version} → ${state.latest}. To update: ${command}\n`,
      );
      state.notified = now;
      await deps.cache.write(JSON.stringify(state)).catch(() => {});
    },
  };
}

function parseState(text: string | undefined): NoticeState {
  try {
    const value = JSON.parse(text ?? "{}");
    if (!value || typeof value !== "object") return {};
    const state: NoticeState = {};
    if (Number.isFinite(value.checked)) state.checked = value.checked;
    if (typeof value.latest === "string") state.latest = value.latest;
    if (Number.isFinite(value.notified)) state.notified = value.notified;
    return state;
  } catch {
    return {};
  }
}
