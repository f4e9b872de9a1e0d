/**
 * Reading a pasted authorization response: the whole address the browser
 * ended on (which gets the full callback checks: state, iss, error) or the
 * bare code (still bound to this attempt by PKCE).
 *
 * @module
 */

import {
  AuthctlError,
  RefusedError,
  stripControl,
  UsageError,
} from "../errors.ts";
import type { Terminal } from "../platform/terminal.ts";

/** Longest paste accepted, in characters. */
export const MAX_PASTE = 8192;

/** What a paste is checked against. */
export interface PasteExpectation {
  /** The redirect URI of this attempt (a pasted address must start with it). */
  redirectUri: string;
  /** The `state` of this attempt. */
  state: string;
  /** The issuer, added to a bare code when the provider sends `iss`. */
  issuer: string;
  /** Whether the provider sends `iss` in authorization responses. */
  issInResponse: boolean;
  /**
   * The callback validation (iss, error, duplicates). A provider's refusal
   * (`error=…`) ends the login; any other failure is explained and the
   * person is asked again.
   */
  validate(params: URLSearchParams): URLSearchParams;
  /** Codes already sent: a code is never exchanged twice. */
  used?: ReadonlySet<string>;
}

/** The outcome of one paste. */
export type PasteOutcome =
  | { ok: true; params: URLSearchParams }
  | { ok: false; problem: string };

/** Interprets one pasted line. Throws only when the login must end. */
export function parsePaste(
  raw: string,
  expect: PasteExpectation,
): PasteOutcome {
  if (raw.length > MAX_PASTE) {
    return {
      ok: false,
      problem: `That is too long (over ${MAX_PASTE} characters).`,
    };
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(raw)) {
    return { ok: false, problem: "That contains control characters." };
  }
  const text = raw.trim();
  if (text === "") return { ok: false, problem: "Nothing was pasted." };
  if (/^[a-z][a-z0-9+.-]*:/i.test(text) && !text.startsWith("urn:")) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { ok: false, problem: "That is not a valid address." };
    }
    const expected = new URL(expect.redirectUri);
    if (url.origin !== expected.origin || url.pathname !== expected.pathname) {
      return {
        ok: false,
        problem:
          `That address is not this login's redirect address (${expect.redirectUri}…).`,
      };
    }
    const states = url.searchParams.getAll("state");
    if (states.length !== 1 || states[0] !== expect.state) {
      return {
        ok: false,
        problem:
          "That address belongs to another login attempt (its state does not match).",
      };
    }
    const code = url.searchParams.get("code");
    if (code !== null && expect.used?.has(code)) return usedAgain();
    return checked(() => expect.validate(url.searchParams));
  }
  // A bare authorization code: printable ASCII without spaces (RFC 6749 A.11).
  if (!/^[\x21-\x7e]+$/.test(text) || text.length > 2048) {
    return {
      ok: false,
      problem: "That is neither the address from the browser nor a code.",
    };
  }
  if (expect.used?.has(text)) return usedAgain();
  const params = new URLSearchParams({ code: text, state: expect.state });
  if (expect.issInResponse) params.set("iss", expect.issuer);
  return checked(() => expect.validate(params));
}

/** A code already sent once is never sent again (SECURITY.md A10, B18). */
function usedAgain(): PasteOutcome {
  return {
    ok: false,
    problem:
      "That code was already tried, and a code works once. Approve again in the browser and paste the new address.",
  };
}

/** The validation's verdict: a refusal ends the login, the rest asks again. */
function checked(validate: () => URLSearchParams): PasteOutcome {
  try {
    return { ok: true, params: validate() };
  } catch (err) {
    if (err instanceof RefusedError || !(err instanceof AuthctlError)) {
      throw err;
    }
    return { ok: false, problem: err.message };
  }
}

/**
 * Reads pasted lines until one is a valid response for this attempt; a bad
 * paste explains itself and asks again. Rejects when input ends or the
 * signal aborts.
 */
export async function readPastedResponse(
  terminal: Terminal,
  expect: PasteExpectation,
  signal: AbortSignal,
): Promise<URLSearchParams> {
  while (true) {
    const line = await terminal.readLine(signal);
    if (line === null) {
      throw new UsageError(
        "no_input",
        "Standard input ended before a code or address was pasted.",
      );
    }
    const outcome = parsePaste(line, expect);
    if (outcome.ok) return outcome.params;
    terminal.err(`${stripControl(outcome.problem)} Paste again: `);
  }
}
