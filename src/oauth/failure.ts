/**
 * What went wrong at the provider, as authctl errors with their exit codes:
 * oauth4webapi's, jose's and fetch's failures mapped once.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import {
  AuthctlError,
  ErrorCode,
  interruptionOf,
  ProviderError,
  RefusedError,
  stripControl,
} from "../errors.ts";

/**
 * A provider's `error_description`, for the end of a sentence: ": …"
 * without control characters or its own closing period, or "" when there
 * is none.
 */
export function descriptionOf(err: { error_description?: string }): string {
  const text = stripControl(err.error_description ?? "").replace(
    /[.\s]+$/,
    "",
  );
  return text ? `: ${text}` : "";
}

/** Maps oauth4webapi, jose and fetch failures to authctl errors. */
export function toAuthctlError(
  err: unknown,
  what: string,
  signal?: AbortSignal,
  target?: string,
): AuthctlError {
  if (err instanceof AuthctlError) return err;
  if (signal?.aborted) return interruptionOf(signal.reason, err);
  if (err instanceof oauth.AuthorizationResponseError) {
    const description = descriptionOf(err);
    // RFC 9126: the pushed request lives for `expires_in` seconds only.
    const expired = err.error === "invalid_request_uri"
      ? " The pushed authorization request expired (or was already used) before the browser opened it: run login again and open the URL promptly."
      : err.error === "invalid_request" &&
          /pushed authorization request/i.test(err.error_description ?? "")
      ? " The provider takes this client's requests only pushed (RFC 9126): log in again with --par added (or set par = true in the profile)."
      : "";
    return new RefusedError(
      "authorization_refused",
      `The provider refused the login (${
        stripControl(err.error)
      })${description}.${expired}`,
      { cause: err },
    );
  }
  if (err instanceof oauth.ResponseBodyError) {
    const description = descriptionOf(err);
    return new ProviderError(
      "provider_error",
      `The provider answered the ${what} with "${
        stripControl(err.error)
      }"${description}.`,
      { cause: err },
    );
  }
  if (err instanceof oauth.OperationProcessingError) {
    // The answer's status, whatever its body (a 503 page in HTML).
    const status = err.cause instanceof Response
      ? ` (HTTP ${err.cause.status}${
        err.cause.statusText ? ` ${stripControl(err.cause.statusText)}` : ""
      })`
      : "";
    return new ProviderError(
      "invalid_response",
      `The provider's ${what} is unusable${status}: ${
        stripControl(err.message)
      }.`,
      { cause: err },
    );
  }
  if (err instanceof DOMException && err.name === "TimeoutError") {
    return new ProviderError(
      ErrorCode.httpTimeout,
      `The provider did not answer the ${what} request in time${
        target ? ` ("${target}")` : ""
      }. Check your network or raise the timeout.`,
      { cause: err },
    );
  }
  if (err instanceof TypeError) {
    const cause = err.cause instanceof Error ? err.cause.message : "";
    const tls = /certificate|UnknownIssuer|tls|ssl/i.test(cause);
    return new ProviderError(
      ErrorCode.unreachable,
      `Cannot reach the provider${
        target ? ` "${target}"` : ""
      } for the ${what}: ${stripControl(err.message)}${
        cause ? ` (${stripControl(cause)})` : ""
      }.${
        tls
          ? " If your network uses its own certificate authority, give its certificate with --ca-file or AUTHCTL_CA_FILE."
          : ""
      }`,
      { cause: err },
    );
  }
  return new ProviderError(
    "provider_failure",
    `The ${what} failed: ${
      stripControl((err as Error)?.message ?? String(err))
    }.`,
    { cause: err },
  );
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(
  value: string | null,
  now = Date.now(),
): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
