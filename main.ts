/**
 * The authctl entry point: builds the real dependencies, runs the CLI, and
 * maps errors to exit codes. The only place that exits.
 *
 * @module
 */

import { runCli } from "./src/cli/mod.ts";
import { brandEnv, brandTerminal, envPrefix } from "./src/config/brand.ts";
import { buildInfo } from "./src/config/build_info.ts";
import {
  AuthctlError,
  ExitCode,
  isClosedOutput,
  stripControl,
} from "./src/errors.ts";
import { systemBrowser } from "./src/platform/browser.ts";
import { systemClock } from "./src/platform/clock.ts";
import { denoEnv, type SystemInfo } from "./src/platform/env.ts";
import { detectEnvironment } from "./src/platform/environment.ts";
import { Interrupts } from "./src/platform/interrupts.ts";
import { keepLoopbackOffProxies } from "./src/platform/proxy.ts";
import { redact } from "./src/oauth/redact.ts";
import {
  denoCommandCapture,
  denoProcessRunner,
} from "./src/platform/process.ts";
import { denoTerminal } from "./src/platform/terminal.ts";

// Messages name the build's own variables (ACMECTL_GIT_HOSTS…).
const terminal = brandTerminal(denoTerminal(), buildInfo.name);
// A branded build reads its own variables (ACMECTL_*), never AUTHCTL_*.
const system: SystemInfo = {
  os: Deno.build.os,
  env: brandEnv(denoEnv, buildInfo.name),
};
// Programs authctl starts never see the client's secret.
const withheld = [`${envPrefix(buildInfo.name)}CLIENT_SECRET`];
// Ctrl-C, SIGTERM and SIGHUP: a clean end, never in the middle of saving
// refreshed tokens (see src/platform/interrupts.ts).
const interrupts = new Interrupts(
  (code) => Deno.exit(code),
  (text) => terminal.err(text),
);
for (const name of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  if (name !== "SIGINT" && Deno.build.os === "windows") continue;
  Deno.addSignalListener(name, () => interrupts.receive(name));
}
keepLoopbackOffProxies(Deno.env);
// Nothing may escape with a stack trace that could carry a secret.
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  Deno.exit(report(event.reason));
});

let code: number = ExitCode.ok;
try {
  code = await runCli(Deno.args, {
    system,
    terminal,
    clock: systemClock,
    browser: systemBrowser(system, withheld),
    signal: interrupts.signal,
    shield: interrupts.shield,
    build: buildInfo,
    environment: () => detectEnvironment(system, terminal),
    processes: denoProcessRunner(
      system.os,
      terminal.stdinIsTerminal,
      withheld,
    ),
    capture: denoCommandCapture(withheld),
  });
} catch (err) {
  code = report(err);
}
// Deno saves this program's compiled code (its V8 code cache) only when the
// event loop turns. `token` with a fresh token runs start to finish without
// one, so it would exit first and never be cached: every start would
// compile everything again (about 10 ms, measured). One empty write turns it.
await Deno.stderr.write(new Uint8Array(0)).catch(() => {});
Deno.exit(code);

function report(err: unknown): number {
  // The reader of stdout has gone (`| head -1`): end quietly, as git does.
  if (isClosedOutput(err)) return ExitCode.outputClosed;
  try {
    return describe(err);
  } catch (again) {
    // stderr itself is closed: nothing can be said.
    if (isClosedOutput(again)) return ExitCode.outputClosed;
    throw again;
  }
}

function describe(err: unknown): number {
  if (err instanceof AuthctlError) {
    terminal.err(`${buildInfo.name}: ${redact(stripControl(err.message))}\n`);
    return err.exitCode;
  }
  // Never print a stack or a raw object: it might carry a secret.
  const message = err instanceof Error ? err.message : String(err);
  terminal.err(
    `${buildInfo.name}: unexpected error: ${redact(stripControl(message))}\n`,
  );
  return ExitCode.failure;
}
