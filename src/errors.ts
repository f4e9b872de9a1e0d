/**
 * Error classes shared by every layer. Each carries a stable `code` (for
 * scripts and tests), the process `exitCode` it maps to, and an optional
 * `cause`. Messages are sentence case, quote the offending value and name the
 * fix.
 *
 * @module
 */

/** Process exit codes, documented in the README. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  provider: 3,
  notLoggedIn: 4,
  refused: 5,
  timedOut: 6,
  /** `exec`: the program exists but cannot be run. */
  notExecutable: 126,
  /** `exec`: no such program. */
  commandNotFound: 127,
  interrupted: 130,
  /** SIGHUP: the terminal went away (a closed SSH session). */
  hangup: 129,
  /** SIGTERM: asked to stop (a CI runner cancelling the job). */
  terminated: 143,
  /**
   * Standard output was closed by its reader (`authctl --help | head -1`):
   * the end, quietly, with the status a shell gives a program killed by
   * SIGPIPE (128 + 13), as git and gh do.
   */
  outputClosed: 141,
} as const;

/** One of the documented exit codes. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/**
 * The error codes that one layer raises and another acts on. Both sides
 * name them here, never as string literals, so a renamed code cannot
 * silently stop matching.
 */
export const ErrorCode = {
  /** The provider refused the refresh token (`invalid_grant`). */
  refreshRejected: "refresh_rejected",
  /** The provider no longer knows the client (`invalid_client`). */
  clientRejected: "client_rejected",
  /** The provider refuses this client the device flow. */
  deviceNotAllowed: "device_not_allowed",
  /** A refresh answered but could not be checked here; keep its token. */
  refreshUnverified: "refresh_unverified",
  /** The provider could not be reached. */
  unreachable: "unreachable",
  /** A request took longer than its deadline. */
  httpTimeout: "http_timeout",
  /** This machine's clock is off the provider's. */
  clockSkew: "clock_skew",
  /** The keychain did not answer in time. */
  keychainTimeout: "keychain_timeout",
} as const;

/** Base class for every error authctl reports on purpose. */
export class AuthctlError extends Error {
  /** Stable, machine-readable identifier, e.g. `"not_logged_in"`. */
  readonly code: string;
  /** The process exit code this error maps to. */
  readonly exitCode: ExitCode;

  /** An error with its stable code, exit code, message and cause. */
  constructor(
    code: string,
    exitCode: ExitCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad flags, bad configuration, missing settings: exit 2. */
export class UsageError extends AuthctlError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, ExitCode.usage, message, options);
  }
}

/** The provider could not be reached or answered with something unusable: exit 3. */
export class ProviderError extends AuthctlError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, ExitCode.provider, message, options);
  }
}

/** Nothing usable is stored, or the stored credentials were rejected: exit 4. */
export class NotLoggedInError extends AuthctlError {
  /** A "not logged in" error (exit 4). */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, ExitCode.notLoggedIn, message, options);
  }
}

/** The user or the provider refused: exit 5. */
export class RefusedError extends AuthctlError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, ExitCode.refused, message, options);
  }
}

/** A wait ran out of time: exit 6. */
export class TimeoutError extends AuthctlError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, ExitCode.timedOut, message, options);
  }
}

/**
 * The user pressed Ctrl-C (exit 130), or the process was told to stop:
 * SIGTERM (143) or SIGHUP (129), as a shell reports a program they ended.
 */
export class InterruptedError extends AuthctlError {
  constructor(
    message = "Interrupted.",
    options?: {
      cause?: unknown;
      exitCode?:
        | typeof ExitCode.interrupted
        | typeof ExitCode.hangup
        | typeof ExitCode.terminated;
    },
  ) {
    super(
      "interrupted",
      options?.exitCode ?? ExitCode.interrupted,
      message,
      options,
    );
  }
}

/** The interruption a signal's abort reason stands for. */
export function interruptionOf(reason: unknown, cause?: unknown): AuthctlError {
  return reason instanceof AuthctlError
    ? reason
    : new InterruptedError(undefined, { cause: cause ?? reason });
}

/** `exec` could not start the program: exit 126 or 127, as a shell would. */
export class CommandError extends AuthctlError {
  constructor(
    code: "command_not_found" | "not_executable",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(
      code,
      code === "command_not_found"
        ? ExitCode.commandNotFound
        : ExitCode.notExecutable,
      message,
      options,
    );
  }
}

/** Local storage could not be read or written safely: exit 1. */
export class StorageError extends AuthctlError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, ExitCode.failure, message, options);
  }
}

/**
 * Removes control characters (including ANSI escapes' ESC) from text that came
 * from outside, so a provider cannot rewrite the user's terminal.
 */
export function stripControl(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}

/**
 * Whether `err` (or an error it was caused by) is a write to a pipe whose
 * reader has gone: nothing to report, the output is simply not wanted.
 */
export function isClosedOutput(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof Deno.errors.BrokenPipe) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
