/**
 * Use-case dependencies for unit tests: a memory store, no locks, a fake
 * clock, a buffer terminal, and the protocol over an in-process provider.
 *
 * @module
 */

import type { AppDeps } from "../../src/app/deps.ts";
import { parseConfig } from "../../src/config/config_file.ts";
import { buildInfo } from "../../src/config/build_info.ts";
import { resolveSettings, type Settings } from "../../src/config/settings.ts";
import { envFrom } from "../../src/platform/env.ts";
import type { Environment } from "../../src/platform/environment.ts";
import { BufferTerminal } from "../../src/platform/terminal.ts";
import { MemoryRegistrationCache } from "../../src/store/registration_cache.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { FakeClock } from "./fake_clock.ts";
import type { InProcessProvider } from "./in_process.ts";

/** A place without a browser, with a person at the terminal. */
export const HEADLESS_TERMINAL: Environment = {
  os: "linux",
  ssh: true,
  display: false,
  wsl: false,
  container: false,
  ci: false,
  browserVariable: false,
  stdinIsTerminal: true,
  stderrIsTerminal: true,
  controllingTerminal: true,
};

/** The dependencies, and the doubles a test looks into. */
export function appDeps(provider: InProcessProvider) {
  const store = new MemoryStore();
  const terminal = new BufferTerminal();
  const clock = new FakeClock();
  const deps: AppDeps = {
    connect: provider.connect,
    store,
    locks: { acquire: () => Promise.resolve({ release() {} }) },
    clock,
    terminal,
    browser: { open: () => Promise.resolve(false) },
    signal: new AbortController().signal,
    network: provider.network,
    environment: () => HEADLESS_TERMINAL,
    appName: "acmectl",
    registrations: new MemoryRegistrationCache(),
  };
  return { deps, store, terminal, clock };
}

/** Settings for `provider` as flags and AUTHCTL_* variables would give them. */
export function settingsFor(
  provider: InProcessProvider,
  env: Record<string, string> = {},
  flags: { clientId?: string } = { clientId: "cli" },
): Settings {
  return resolveSettings({
    flags: { issuer: provider.issuer, ...flags },
    env: envFrom(env),
    config: parseConfig("c", {}),
    build: { ...buildInfo, name: "acmectl" },
  });
}
