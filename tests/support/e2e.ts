/**
 * The one end-to-end fixture: the real provider (oidc-provider, as a child
 * process), headless Chromium, a private directory and the CLI's
 * environment, started together and cleaned up together:
 *
 * ```ts ignore
 * await using e2e = await startE2e({ browser: true });
 * const r = await e2e.run(["token"]);
 * ```
 *
 * @module
 */

import type { Browser } from "playwright-core";
import {
  cliEnv,
  type CliResult,
  runCli,
  type RunningCli,
  spawnCli,
} from "./cli.ts";
import { type ProviderProcess, startProvider } from "./provider.ts";
import {
  type ProviderDoubles,
  startProviderDoubles,
} from "./provider_doubles.ts";

/** What {@linkcode startE2e} starts. */
export interface E2eOptions {
  /**
   * Start the demo provider (default true); an array passes it arguments
   * (`["--issuer", …]`).
   */
  provider?: boolean | string[];
  /** Launch headless Chromium (default false). */
  browser?: boolean;
  /**
   * Start the doubles of hosted providers (GitHub, Google, Entra, Auth0;
   * default false).
   */
  doubles?: boolean;
  /**
   * More of the CLI's environment; the provider's issuer and client ID are
   * set already (`AUTHCTL_ISSUER`, `AUTHCTL_CLIENT_ID`).
   */
  env?: Record<string, string>;
}

/** A running end-to-end set-up; disposing it stops and removes everything. */
export interface E2e extends AsyncDisposable {
  /** A private directory, removed at the end. */
  readonly dir: string;
  /** The CLI's config directory (`dir/cfg`). */
  readonly configDir: string;
  /** The CLI's environment. */
  readonly env: Record<string, string>;
  /** The provider; throws when it was not started. */
  readonly provider: ProviderProcess;
  /** Chromium; throws when it was not launched. */
  readonly browser: Browser;
  /** The hosted providers' doubles; throws when they were not started. */
  readonly doubles: ProviderDoubles;
  /**
   * Another CLI environment with its own config directory (under
   * {@linkcode dir}): file storage, no forced prompt, `extra` over it. For
   * the doubles, where each preset decides.
   */
  envFor(extra: Record<string, string>): Promise<Record<string, string>>;
  /** Runs the CLI to completion, with `extra` over the environment. */
  run(
    args: string[],
    extra?: Record<string, string>,
    stdin?: string,
  ): Promise<CliResult>;
  /** Starts the CLI without waiting for it. */
  spawn(
    args: string[],
    extra?: Record<string, string>,
    options?: { stdin?: boolean; pty?: boolean },
  ): Promise<RunningCli>;
  /** `login ARGS…` approved in Chromium; it must succeed. */
  login(args?: string[], extra?: Record<string, string>): Promise<CliResult>;
  /**
   * Stops or removes `fn`'s resource with the rest (first deferred, last
   * done), so a test needs no `try`/`finally` of its own.
   */
  defer(fn: () => unknown): void;
}

/** Starts what `options` asks for (see {@linkcode E2eOptions}). */
export async function startE2e(options: E2eOptions = {}): Promise<E2e> {
  const cleanup: (() => Promise<void>)[] = [];
  const dispose = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };
  try {
    const dir = await Deno.makeTempDir({ prefix: "authctl-e2e-" });
    cleanup.push(() => Deno.remove(dir, { recursive: true }));
    const configDir = `${dir}/cfg`;
    await Deno.mkdir(configDir, { mode: 0o700 });
    let provider: ProviderProcess | undefined;
    if (options.provider !== false) {
      provider = await startProvider(
        Array.isArray(options.provider) ? options.provider : [],
      );
      cleanup.push(() => provider!.stop());
    }
    let doubles: ProviderDoubles | undefined;
    if (options.doubles) {
      doubles = await startProviderDoubles();
      cleanup.push(() => doubles!.close());
    }
    let browser: Browser | undefined;
    if (options.browser) {
      // Loaded only when asked for: playwright is large.
      const { launchChromium } = await import(
        "../../scripts/headless_browser.ts"
      );
      browser = await launchChromium();
      cleanup.push(() => browser!.close());
    }
    const env = cliEnv(configDir, {
      ...(provider
        ? {
          AUTHCTL_ISSUER: provider.issuer,
          AUTHCTL_CLIENT_ID: provider.clientId,
        }
        : {}),
      ...options.env,
    });
    let envs = 0;
    const e2e: E2e = {
      dir,
      configDir,
      env,
      get provider() {
        if (!provider) throw new Error("startE2e: no provider was started");
        return provider;
      },
      get doubles() {
        if (!doubles) throw new Error("startE2e: no doubles were started");
        return doubles;
      },
      envFor: async (extra) => {
        const own = `${dir}/cfg-${++envs}`;
        await Deno.mkdir(own, { mode: 0o700 });
        return cliEnv(own, {
          AUTHCTL_STORAGE: "file",
          AUTHCTL_PROMPT: "",
          ...extra,
        });
      },
      get browser() {
        if (!browser) throw new Error("startE2e: no browser was launched");
        return browser;
      },
      run: (args, extra = {}, stdin) =>
        runCli(args, { ...env, ...extra }, stdin),
      spawn: (args, extra = {}, spawnOptions) =>
        spawnCli(args, { ...env, ...extra }, spawnOptions),
      login: async (args = [], extra = {}) => {
        const { browserLogin } = await import("./browser_login.ts");
        return await browserLogin(e2e.browser, args, { ...env, ...extra });
      },
      defer: (fn) => {
        cleanup.push(async () => {
          await fn();
        });
      },
      [Symbol.asyncDispose]: dispose,
    };
    return e2e;
  } catch (err) {
    await dispose();
    throw err;
  }
}
