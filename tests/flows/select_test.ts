/**
 * Flow selection as a table over the places authctl runs in.
 */

import { assertEquals, assertThrows } from "../support/assert.ts";
import { chooseFlow, preflight } from "../../src/flows/mod.ts";
import {
  detectEnvironment,
  type Environment,
} from "../../src/platform/environment.ts";
import { envFrom } from "../../src/platform/env.ts";
import { BufferTerminal } from "../../src/platform/terminal.ts";

const laptop: Environment = {
  os: "linux",
  ssh: false,
  display: true,
  wsl: false,
  container: false,
  ci: false,
  browserVariable: false,
  stdinIsTerminal: true,
  stderrIsTerminal: true,
  controllingTerminal: true,
};

const auto = { flow: "auto", noBrowser: false, qr: true };
const device = { supportsDeviceFlow: true };
const noDevice = { supportsDeviceFlow: false };

type Row = [
  string,
  Partial<Environment>,
  { supportsDeviceFlow: boolean },
  string | RegExp,
  RegExp?,
];

const table: Row[] = [
  [
    "Linux laptop with a display",
    {},
    device,
    "loopback",
    /a browser can be opened here/,
  ],
  [
    "macOS (no DISPLAY needed)",
    { os: "darwin", display: false },
    device,
    "loopback",
  ],
  ["Windows", { os: "windows", display: false }, device, "loopback"],
  [
    "WSL opens the Windows browser",
    { wsl: true, display: false },
    device,
    "loopback",
  ],
  ["SSH session", { ssh: true }, device, "device", /this is an SSH session/],
  [
    "SSH session, provider without device flow",
    { ssh: true },
    noDevice,
    "paste",
    /no device flow/,
  ],
  ["no display", { display: false }, device, "device", /no display is set/],
  ["container", { container: true }, device, "device", /container/],
  ["CI job with a terminal", { ci: true }, device, "device", /CI job/],
  [
    "$BROWSER set over SSH",
    { ssh: true, browserVariable: true },
    device,
    "loopback",
  ],
  [
    "SSH, stderr not a terminal, stdin is: the person still sees the code",
    { ssh: true, stderrIsTerminal: false },
    device,
    "device",
  ],
  [
    "SSH, `login 2>&1 | tee log`: stdin and stderr piped, a controlling terminal",
    { ssh: true, stdinIsTerminal: false, stderrIsTerminal: false },
    device,
    "device",
    /this is an SSH session/,
  ],
  [
    "SSH, piped, provider without device flow: nothing can be pasted",
    { ssh: true, stdinIsTerminal: false, stderrIsTerminal: false },
    noDevice,
    /no code can be pasted/,
  ],
  [
    "SSH, no terminal at all",
    {
      ssh: true,
      stdinIsTerminal: false,
      stderrIsTerminal: false,
      controllingTerminal: false,
    },
    device,
    /no terminal is attached/,
  ],
  [
    "no device flow, no stdin terminal",
    { display: false, stdinIsTerminal: false, controllingTerminal: false },
    noDevice,
    /no code can be pasted/,
  ],
  [
    "laptop without a terminal still uses the browser",
    {
      stdinIsTerminal: false,
      stderrIsTerminal: false,
      controllingTerminal: false,
    },
    device,
    "loopback",
  ],
];

for (const [name, facts, provider, expected, reason] of table) {
  Deno.test(`select: ${name}`, () => {
    const env = { ...laptop, ...facts };
    if (expected instanceof RegExp) {
      assertThrows(() => chooseFlow(auto, env, provider), {
        code: "no_interactive_flow",
        message: expected,
      });
      return;
    }
    const choice = chooseFlow(auto, env, provider);
    assertEquals(choice.flow.name, expected);
    if (reason) {
      assertEquals(reason.test(choice.reason ?? ""), true, choice.reason);
    }
    // The hint names the two other flows, never the one chosen.
    const others = ["loopback", "device", "paste"].filter((f) =>
      f !== expected
    );
    assertEquals(
      choice.reason?.includes(
        `pick another with --flow ${others[0]} or --flow ${others[1]}`,
      ),
      true,
      choice.reason,
    );
  });
}

Deno.test("select: --no-browser on a laptop picks the device flow", () => {
  const choice = chooseFlow({ ...auto, noBrowser: true }, laptop, device);
  assertEquals(choice.flow.name, "device");
});

Deno.test("select: an explicit flow is used as asked, with no explanation", () => {
  for (const flow of ["loopback", "device", "paste"]) {
    const choice = chooseFlow({ ...auto, flow }, {
      ...laptop,
      ssh: true,
      stdinIsTerminal: false,
    }, noDevice);
    assertEquals(choice.flow.name, flow);
    assertEquals(choice.reason, undefined);
  }
});

Deno.test("select: the no-terminal check happens before the provider is asked", () => {
  assertThrows(
    () =>
      preflight(auto, {
        ...laptop,
        ssh: true,
        stdinIsTerminal: false,
        stderrIsTerminal: false,
        controllingTerminal: false,
      }),
    { code: "no_interactive_flow" },
  );
  assertThrows(() => preflight({ ...auto, flow: "pigeon" }, laptop), {
    code: "invalid_flow",
  });
});

Deno.test("environment: detection from variables and files", () => {
  const t = new BufferTerminal();
  const detect = (
    vars: Record<string, string>,
    files: string[] = [],
    text: Record<string, string> = {},
    tty = false,
  ) =>
    detectEnvironment(
      { os: "linux", env: envFrom(vars) },
      t,
      (p) => files.includes(p),
      (p) => text[p] ?? "",
      () => tty,
    );
  assertEquals(detect({}, [], {}, true).controllingTerminal, true);
  assertEquals(detect({}, [], {}, false).controllingTerminal, false);
  assertEquals(detect({ SSH_CONNECTION: "1.2.3.4 5 6.7.8.9 22" }).ssh, true);
  assertEquals(detect({ SSH_TTY: "/dev/pts/1" }).ssh, true);
  assertEquals(detect({}).ssh, false);
  assertEquals(detect({ WAYLAND_DISPLAY: "wayland-0" }).display, true);
  assertEquals(
    detect({}, [], { "/proc/version": "Linux 5.15 microsoft-standard-WSL2" })
      .wsl,
    true,
  );
  assertEquals(detect({}, ["/.dockerenv"]).container, true);
  assertEquals(
    detect({}, [], { "/proc/1/cgroup": "0::/kubepods/burstable/pod1" })
      .container,
    true,
  );
  assertEquals(detect({ container: "podman" }).container, true);
  assertEquals(detect({}).container, false);
  assertEquals(detect({ CI: "true" }).ci, true);
  assertEquals(detect({ CI: "false" }).ci, false);
  assertEquals(detect({ GITHUB_ACTIONS: "true" }).ci, true);
});
