/**
 * The loopback listener of RFC 8252 §7.3: binds a loopback address only
 * (127.0.0.1 by default; ::1; or both, on one port, for a `localhost`
 * redirect URI, since a browser may try either), answers one callback that
 * carries the expected `state`, and turns everything else away without
 * ending the wait.
 *
 * @module
 */

import { DEFAULT_REDIRECT, type RedirectShape } from "../config/redirect.ts";
import { AuthctlError, UsageError } from "../errors.ts";
import { pageResponse } from "./callback_page.ts";

/** The loopback address the listener binds and the redirect URI names. */
export const LOOPBACK_HOST = "127.0.0.1";

/** The path of the redirect URI. */
export const CALLBACK_PATH = "/callback";

/** How long closing waits for a response still being sent, in ms. */
const GRACE_MS = 2000;

/** Longest request URL accepted, in bytes. */
const MAX_URL_LENGTH = 8192;

/** Options of {@linkcode startCallbackServer}. */
export interface CallbackServerOptions {
  /** Ports to try in order; 0 means an ephemeral port. */
  ports: number[];
  /** The redirect URI's host and path (default `127.0.0.1`, `/callback`). */
  shape?: RedirectShape;
  /** The `state` sent in the authorization request. */
  state: string;
  /**
   * Validates a callback whose `state` matched (iss, error, duplicates).
   * Returns the parameters to use, or throws: the login then fails with
   * that error and the browser is told so.
   */
  validate(params: URLSearchParams): URLSearchParams;
  /**
   * Told why a request was turned away (another attempt's `state`, a
   * foreign `Host`…), for a line in the terminal; the wait goes on.
   */
  onRejected?: (reason: string) => void;
  /** The program's name, for the page (`acmectl`). */
  appName?: string;
  /** How long the page waits for the login's outcome (default 10 s). */
  outcomeWaitMs?: number;
}

/** How the login ended, for the page the browser is shown. */
export type LoginOutcome =
  | { ok: true; account?: string }
  | { ok: false; reason: string };

/** A running listener. */
export interface CallbackServer {
  /** The port it listens on. */
  readonly port: number;
  /** The redirect URI to send, e.g. `http://127.0.0.1:8765/callback`. */
  readonly redirectUri: string;
  /** Settles with the validated callback parameters, or the login's error. */
  readonly result: Promise<URLSearchParams>;
  /**
   * Tells the waiting browser how the login ended (after the code
   * exchange): its page says so, naming the account or the reason.
   */
  finish(outcome: LoginOutcome): void;
  /** Stops listening. Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Starts listening on the first free port of `options.ports`. Resolves once
 * the socket is bound, so the browser can be opened safely afterwards.
 */
export function startCallbackServer(
  options: CallbackServerOptions,
): Promise<CallbackServer> {
  let settle!: {
    resolve: (params: URLSearchParams) => void;
    reject: (err: unknown) => void;
  };
  const result = new Promise<URLSearchParams>((resolve, reject) => {
    settle = { resolve, reject };
  });
  result.catch(() => {}); // observed by the caller; never unhandled here
  let done = false;
  let port = 0;
  const shape = options.shape ?? DEFAULT_REDIRECT;
  // localhost: both families on one port, 127.0.0.1 first.
  const hostnames = shape.host === "localhost"
    ? ["127.0.0.1", "::1"]
    : [shape.host === "[::1]" ? "::1" : "127.0.0.1"];

  const app = options.appName ?? "authctl";
  let finish!: (outcome: LoginOutcome) => void;
  const outcome = new Promise<LoginOutcome>((resolve) => (finish = resolve));
  const rejected = (reason: string) => options.onRejected?.(reason);

  const handler = async (request: Request): Promise<Response> => {
    if (done) {
      return pageResponse(404, "Not found", "This login has already ended.");
    }
    if (request.method !== "GET") {
      return new Response(null, { status: 405, headers: { allow: "GET" } });
    }
    if (request.url.length > MAX_URL_LENGTH) {
      return pageResponse(414, "Request too long", "The request was refused.");
    }
    // The Host header must name our own address: a page on another origin
    // that resolves to 127.0.0.1 (DNS rebinding) is refused.
    if (request.headers.get("host") !== `${shape.host}:${port}`) {
      rejected(
        `its Host header "${
          (request.headers.get("host") ?? "").slice(0, 100)
        }" is not ${shape.host}:${port} (a web page may be probing this port)`,
      );
      return pageResponse(400, "Bad request", "Unexpected host.");
    }
    const url = new URL(request.url);
    if (url.pathname !== shape.path) {
      return pageResponse(404, "Not found", "There is nothing here.");
    }
    const states = url.searchParams.getAll("state");
    if (states.length !== 1 || !timingSafeEqual(states[0], options.state)) {
      rejected(
        states.length === 0
          ? `it carries no state${
            url.searchParams.has("error") ? " (an error response)" : ""
          }`
          : "its state belongs to another login attempt (an older browser tab?)",
      );
      return pageResponse(
        400,
        "Another login attempt",
        `This browser tab belongs to another login attempt of ${app}. Use the tab of the newest attempt, or run login again.`,
      );
    }
    done = true;
    try {
      const params = options.validate(url.searchParams);
      settle.resolve(params);
      // The page tells the truth: it waits for the code exchange.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ended = await Promise.race([
        outcome,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(
            () => resolve(undefined),
            options.outcomeWaitMs ?? 10_000,
          );
        }),
      ]);
      clearTimeout(timer);
      if (!ended) {
        return pageResponse(
          202,
          "Almost there",
          `${app} is still finishing the login. Look at your terminal.`,
        );
      }
      return ended.ok
        ? pageResponse(
          200,
          "Login complete",
          `${app} is logged in${
            ended.account ? ` as ${ended.account}` : ""
          }. You can close this window and return to your terminal.`,
          true,
        )
        : pageResponse(
          400,
          "Login failed",
          `${app} could not complete the login: ${ended.reason} Return to your terminal for details.`,
        );
    } catch (err) {
      settle.reject(err);
      const message = err instanceof AuthctlError
        ? err.message
        : "The login could not be completed.";
      return pageResponse(
        400,
        "Login failed",
        `${message} Return to your terminal for details.`,
      );
    }
  };

  return new Promise((resolve, reject) => {
    const tried: number[] = [];
    // An ephemeral port free on 127.0.0.1 may be taken on ::1: try again.
    const candidates = options.ports.flatMap((p) =>
      p === 0 && hostnames.length > 1 ? [0, 0, 0, 0, 0] : [p]
    );
    for (const candidate of candidates) {
      const controller = new AbortController();
      const servers: Deno.HttpServer<Deno.NetAddr>[] = [];
      let bound = candidate;
      try {
        for (const [i, hostname] of hostnames.entries()) {
          try {
            servers.push(Deno.serve({
              hostname,
              port: bound,
              signal: controller.signal,
              onListen: () => {},
              onError: () => new Response(null, { status: 500 }),
            }, handler));
          } catch (err) {
            // A machine without IPv6 serves localhost on 127.0.0.1 alone.
            if (i > 0 && err instanceof Deno.errors.AddrNotAvailable) break;
            throw err;
          }
          bound = servers[0].addr.port;
        }
      } catch (err) {
        controller.abort();
        if (err instanceof Deno.errors.AddrInUse) {
          tried.push(candidate);
          continue;
        }
        return reject(err);
      }
      port = bound;
      let closed: Promise<void> | undefined;
      return resolve({
        port,
        redirectUri: `http://${shape.host}:${port}${shape.path}`,
        result,
        finish,
        close() {
          if (!closed) {
            done = true;
            // Gracefully, so the page of a finished login reaches the
            // browser before the process exits; a request that never
            // completes (a slow client) is cut off after a moment.
            let timer: ReturnType<typeof setTimeout> | undefined;
            const cutOff = new Promise<void>((resolve) => {
              timer = setTimeout(() => {
                controller.abort();
                resolve();
              }, GRACE_MS);
            });
            closed = Promise.race([
              Promise.all(servers.map((s) => s.shutdown())),
              cutOff,
            ]).then(() => Promise.all(servers.map((s) => s.finished)))
              .then(() => clearTimeout(timer));
          }
          return closed;
        },
      });
    }
    reject(
      new UsageError(
        "port_in_use",
        `No callback port is free: ${
          tried.map((p) => p || "an ephemeral port").join(", ")
        } ${tried.length === 1 ? "is" : "are"} in use${
          hostnames.length > 1 ? " (on 127.0.0.1 or ::1)" : ""
        }. Close the program using ${
          tried.length === 1 ? "it" : "them"
        } or choose other ports with --port (they must be registered with the provider).`,
      ),
    );
  });
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
