/**
 * Builds the dependencies the use cases run against, for the CLI and for
 * programs that embed authctl: the store chosen at run time, per-profile
 * locks, and the injected platform.
 *
 * @module
 */

import type { NetworkOptions } from "../oauth/http.ts";
import type { BrowserOpener } from "../platform/browser.ts";
import type { Clock } from "../platform/clock.ts";
import type { Environment } from "../platform/environment.ts";
import type { Shield } from "../platform/interrupts.ts";
import type { Terminal } from "../platform/terminal.ts";
import type { Env } from "../platform/env.ts";
import type { CommandCapture } from "../platform/process.ts";
import { FileLocks } from "../store/lock.ts";
import { MemoryStore } from "../store/memory_store.ts";
import {
  FileRegistrationCache,
  MemoryRegistrationCache,
} from "../store/registration_cache.ts";
import { createStore, type StorageMode } from "../store/mod.ts";
import type { AppDeps, ConnectTarget } from "./deps.ts";

/** What {@linkcode createAppDeps} needs. */
export interface RuntimeOptions {
  /** The config directory (credentials file, locks, config.toml). */
  configDir: string;
  /** The app's name: the keychain service. */
  appName: string;
  /** Where credentials go; "memory" keeps them for this process only. */
  storage: StorageMode | "memory";
  terminal: Terminal;
  clock: Clock;
  browser: BrowserOpener;
  signal: AbortSignal;
  /** Defers interruptions while refreshed tokens are saved. */
  shield?: Shield;
  network: NetworkOptions;
  environment: () => Environment;
  /** How long to wait for another process's refresh, in milliseconds. */
  lockWaitMs?: number;
  /** The job's environment, where a CI puts its OIDC token. */
  env?: Env;
  /** Runs a CI's agent for its token. */
  capture?: CommandCapture;
}

/** The use cases' dependencies. */
export function createAppDeps(options: RuntimeOptions): AppDeps {
  return {
    connect: (target) => connect(options, target),
    store: options.storage === "memory" ? new MemoryStore() : createStore({
      configDir: options.configDir,
      appName: options.appName,
      mode: options.storage,
      notice: (text) => options.terminal.err(`${text}\n`),
      debug: options.network.debug,
    }),
    locks: new FileLocks({
      configDir: options.configDir,
      waitMs: options.lockWaitMs,
    }),
    clock: options.clock,
    terminal: options.terminal,
    browser: options.browser,
    signal: options.signal,
    shield: options.shield,
    environment: options.environment,
    network: options.network,
    appName: options.appName,
    env: options.env,
    capture: options.capture,
    registrations: options.storage === "memory"
      ? new MemoryRegistrationCache()
      : new FileRegistrationCache(options.configDir),
  };
}

/** Discovery with the run's network settings; the protocol layer, lazily. */
async function connect(options: RuntimeOptions, target: ConnectTarget) {
  const { discover } = await import("../oauth/discovery.ts");
  return await discover({
    issuer: target.issuer,
    clientId: target.clientId,
    settings: target.settings,
    namedByResource: target.namedByResource,
    signal: target.signal ?? options.signal,
    network: target.deadline === undefined
      ? options.network
      : { ...options.network, deadline: target.deadline },
  });
}
