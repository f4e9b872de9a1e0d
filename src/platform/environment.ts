/**
 * What kind of place the CLI runs in: can a browser be opened here, is
 * someone at a terminal. Detection reads environment variables and a few
 * well-known files; the facts are plain data so flow selection can be tested
 * as a table.
 *
 * @module
 */

import type { SystemInfo } from "./env.ts";
import type { Terminal } from "./terminal.ts";

/** Facts about where the CLI runs. */
export interface Environment {
  os: SystemInfo["os"];
  /** Logged in over SSH. */
  ssh: boolean;
  /** A graphical display is set (Linux: DISPLAY or WAYLAND_DISPLAY). */
  display: boolean;
  /** Windows Subsystem for Linux (opens the Windows browser). */
  wsl: boolean;
  /** Inside a container. */
  container: boolean;
  /** Inside a CI system. */
  ci: boolean;
  /** `$BROWSER` is set: the user named a browser. */
  browserVariable: boolean;
  stdinIsTerminal: boolean;
  stderrIsTerminal: boolean;
  /**
   * The process has a controlling terminal (`/dev/tty` opens): a person is
   * at it even when stdin and stderr are piped (`login 2>&1 | tee log`).
   */
  controllingTerminal: boolean;
}

/**
 * Whether a person can see what login prints and answer it: standard input
 * or standard error is a terminal, or the process has a controlling one.
 */
export function personAtTerminal(env: Environment): boolean {
  return env.stdinIsTerminal || env.stderrIsTerminal ||
    env.controllingTerminal;
}

const CI_VARIABLES = [
  "CI",
  "GITHUB_ACTIONS",
  "GITLAB_CI",
  "BUILDKITE",
  "JENKINS_URL",
  "TF_BUILD",
  "CIRCLECI",
  "TEAMCITY_VERSION",
];

/** Reads the environment of this process. */
export function detectEnvironment(
  system: SystemInfo,
  terminal: Terminal,
  fileExists: (path: string) => boolean = existsSync,
  readText: (path: string) => string = readTextSync,
  hasControllingTerminal: () => boolean = controllingTerminalOpens,
): Environment {
  const env = system.env;
  const linux = system.os === "linux";
  const procVersion = linux ? readText("/proc/version").toLowerCase() : "";
  const ciValue = (name: string) => {
    const v = env.get(name);
    return v !== undefined && v !== "" && v !== "0" &&
      v.toLowerCase() !== "false";
  };
  return {
    os: system.os,
    ssh: Boolean(
      env.get("SSH_CONNECTION") || env.get("SSH_CLIENT") || env.get("SSH_TTY"),
    ),
    display: Boolean(env.get("DISPLAY") || env.get("WAYLAND_DISPLAY")),
    wsl: linux &&
      Boolean(
        env.get("WSL_DISTRO_NAME") || env.get("WSL_INTEROP") ||
          procVersion.includes("microsoft"),
      ),
    container: linux &&
      (Boolean(env.get("container")) || fileExists("/.dockerenv") ||
        fileExists("/run/.containerenv") ||
        /docker|kubepods|containerd|lxc/.test(readText("/proc/1/cgroup"))),
    ci: CI_VARIABLES.some(ciValue),
    browserVariable: Boolean(env.get("BROWSER")),
    stdinIsTerminal: terminal.stdinIsTerminal,
    stderrIsTerminal: terminal.stderrIsTerminal,
    controllingTerminal: system.os !== "windows" && hasControllingTerminal(),
  };
}

/**
 * Whether a browser on this machine can be opened and can reach a loopback
 * listener here; with the reason, for the one line that explains the choice.
 */
export function browserHere(env: Environment): { ok: boolean; why: string } {
  if (env.browserVariable) return { ok: true, why: "$BROWSER is set" };
  if (env.ssh) return { ok: false, why: "this is an SSH session" };
  if (env.ci) return { ok: false, why: "this is a CI job" };
  if (env.container) return { ok: false, why: "this is a container" };
  if (env.os === "linux" && !env.wsl && !env.display) {
    return { ok: false, why: "no display is set" };
  }
  return { ok: true, why: "a browser can be opened here" };
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function readTextSync(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** Whether `/dev/tty` opens: the process has a controlling terminal. */
function controllingTerminalOpens(): boolean {
  try {
    Deno.openSync("/dev/tty", { read: true }).close();
    return true;
  } catch {
    return false;
  }
}
