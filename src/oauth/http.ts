/**
 * Every HTTP request authctl makes goes through here: a timeout, no
 * redirects followed (they would resend a code, a verifier or a token to
 * another place), a cap on the response size, an optional CA bundle,
 * loopback never sent through a proxy, the server's clock noted (to explain
 * a clock skew), and a `--debug` trace with every secret redacted.
 *
 * @module
 */

import {
  interruptionOf,
  ProviderError,
  stripControl,
  UsageError,
} from "../errors.ts";
import { anySignal } from "../platform/signal.ts";
import { redact } from "./redact.ts";

/** Network settings of a run. */
export interface NetworkOptions {
  /** Timeout of one request, in milliseconds. */
  timeoutMs: number;
  /**
   * When the whole operation must be over (ms since the epoch): each
   * request gets at most what is left (one deadline for a refresh, not one
   * per request).
   */
  deadline?: number;
  /** A PEM bundle of extra root certificates (corporate TLS). */
  caFile?: string;
  /** Receives the `--debug` trace (already redacted). */
  debug?: (line: string) => void;
  /** Largest response body accepted, in bytes. */
  maxBodyBytes?: number;
  /**
   * What sends a request: the platform's `fetch` by default; a test gives
   * one that answers in-process (a provider without a server).
   */
  transport?: (url: string, init: RequestInit) => Promise<Response>;
}

/** Default timeout of one request. */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

/** Redirects followed when fetching metadata (same origin only). */
export const MAX_DISCOVERY_REDIRECTS = 3;

/** Default response size cap: far above any real metadata or token response. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The fetch signature oauth4webapi and jose call. */
export type FetchFunction = (
  url: string,
  init: {
    method?: string;
    headers?: HeadersInit;
    body?: BodyInit | null;
    signal?: AbortSignal;
    redirect?: RequestRedirect;
  },
) => Promise<Response>;

/** The HTTP client of one run. */
export class Http {
  readonly #options: NetworkOptions;
  readonly #signal?: AbortSignal;
  #client?: Deno.HttpClient;
  #clientReady?: Promise<void>;
  /** Server clock minus ours, in milliseconds, from the last `Date` header. */
  skewMs?: number;

  /** When the operation under way must be over (see NetworkOptions). */
  #deadline?: number;

  constructor(options: NetworkOptions, signal?: AbortSignal) {
    this.#options = options;
    this.#signal = signal;
    this.#deadline = options.deadline;
  }

  /**
   * Runs `fn` (one operation of several requests: a code exchange with its
   * key set and userinfo) under one deadline, the timeout from now.
   */
  async withinDeadline<T>(fn: () => Promise<T>): Promise<T> {
    const before = this.#deadline;
    const own = Date.now() + this.#options.timeoutMs;
    this.#deadline = before === undefined ? own : Math.min(before, own);
    try {
      return await fn();
    } finally {
      this.#deadline = before;
    }
  }

  /**
   * A fetch for discovery: a GET that carries no secret, so it follows a
   * redirect within the same origin (Django OAuth Toolkit answers
   * `…/openid-configuration` with a 301 to `…/openid-configuration/`), at
   * most {@linkcode MAX_DISCOVERY_REDIRECTS} hops. A redirect elsewhere is
   * refused like any other.
   */
  readonly discoveryFetch: FetchFunction = async (url, init) => {
    let current = url;
    for (let hop = 0;; hop++) {
      const response = await this.#fetch(
        current,
        init,
        hop < MAX_DISCOVERY_REDIRECTS,
      );
      if (response.status < 300 || response.status >= 400) return response;
      const location = response.headers.get("location") ?? "";
      await response.body?.cancel();
      const next = new URL(location, current);
      if (next.origin !== new URL(current).origin) {
        throw new ProviderError(
          "redirect_refused",
          `The provider's metadata at "${
            redact(current)
          }" redirects to another origin ("${
            stripControl(redact(next.href))
          }"); only a redirect within the same origin is followed. Check the issuer URL.`,
        );
      }
      current = next.href;
    }
  };

  /** A fetch for oauth4webapi's and jose's `customFetch`. */
  readonly fetch: FetchFunction = (url, init) => this.#fetch(url, init, false);

  /**
   * A request to an API (`authctl api`): the same timeout (for the answer's
   * head), CA bundle and trace, but the body is handed back unread, to be
   * streamed, and a redirect is returned for the caller to judge.
   */
  stream(url: string, init: Parameters<FetchFunction>[1]): Promise<Response> {
    return this.#fetch(url, init, true, true);
  }

  async #fetch(
    url: string,
    init: Parameters<FetchFunction>[1],
    allowRedirect: boolean,
    stream = false,
  ): Promise<Response> {
    await this.#prepare();
    const method = init.method ?? "GET";
    const debug = this.#options.debug;
    debug?.(`> ${method} ${redact(url)}`);
    if (debug && init.headers) {
      for (const [k, v] of new Headers(init.headers)) {
        debug(
          `> ${k}: ${
            k === "authorization"
              ? redactAuthorization(v)
              : k === "dpop"
              ? "[redacted proof]"
              : redact(v)
          }`,
        );
      }
    }
    if (debug && typeof init.body === "string") debug(`> ${redact(init.body)}`);
    if (debug && init.body instanceof URLSearchParams) {
      debug(`> ${redact(init.body.toString())}`);
    }
    // A timer cleared when the exchange ends: AbortSignal.timeout would keep
    // a program that embeds authctl alive until it fires.
    const timeout = new AbortController();
    const left = this.#deadline === undefined
      ? this.#options.timeoutMs
      : Math.min(this.#options.timeoutMs, this.#deadline - Date.now());
    if (left <= 0) {
      throw new DOMException("The time allowed ran out.", "TimeoutError");
    }
    const timer = setTimeout(
      () =>
        timeout.abort(
          new DOMException("The request timed out.", "TimeoutError"),
        ),
      left,
    );
    try {
      return await this.#exchange(
        url,
        method,
        init,
        timeout.signal,
        allowRedirect,
        stream,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async #exchange(
    url: string,
    method: string,
    init: RequestInit,
    timeout: AbortSignal,
    allowRedirect: boolean,
    stream: boolean,
  ): Promise<Response> {
    const debug = this.#options.debug;
    const signals = [timeout];
    if (init.signal) signals.push(init.signal);
    if (this.#signal) signals.push(this.#signal);
    let response: Response;
    try {
      response = await (this.#options.transport ?? fetch)(url, {
        method,
        headers: init.headers,
        body: init.body,
        redirect: "manual",
        signal: anySignal(signals),
        client: this.#client,
      } as RequestInit);
    } catch (err) {
      if (this.#signal?.aborted) {
        throw interruptionOf(this.#signal.reason, err);
      }
      throw err;
    }
    const date = response.headers.get("date");
    if (date && !Number.isNaN(Date.parse(date))) {
      this.skewMs = Date.parse(date) - Date.now();
    }
    debug?.(`< ${response.status} ${redact(url)}`);
    if (allowRedirect && response.status >= 300 && response.status < 400) {
      return response;
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = response.headers.get("location");
      throw new ProviderError(
        "redirect_refused",
        `The provider answered ${method} "${
          redact(url)
        }" with a redirect (HTTP ${response.status}${
          location ? ` to "${stripControl(redact(location))}"` : ""
        }). Redirects from the provider's endpoints are never followed: that would resend codes or tokens elsewhere. Check the issuer URL.`,
      );
    }
    if (stream) return response;
    const body = await this.#readCapped(response, url);
    if (debug && body.length) {
      debug(`< ${redact(new TextDecoder().decode(body)).slice(0, 4000)}`);
    }
    const nullBody = [101, 204, 205, 304].includes(response.status);
    return new Response(nullBody ? null : body as Uint8Array<ArrayBuffer>, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  async #prepare(): Promise<void> {
    if (!this.#options.caFile) return;
    this.#clientReady ??= (async () => {
      const file = this.#options.caFile!;
      const fix =
        "Give the path of a PEM file of root certificates with --ca-file or AUTHCTL_CA_FILE, or unset it.";
      let pem: string;
      try {
        pem = await Deno.readTextFile(file);
      } catch (err) {
        // A setting that names no usable file: a configuration error.
        throw new UsageError(
          "ca_file_unreadable",
          `Cannot read the CA bundle "${file}": ${
            err instanceof Deno.errors.NotFound
              ? "no such file"
              : (err as Error).message
          }. ${fix}`,
          { cause: err },
        );
      }
      try {
        this.#client = Deno.createHttpClient({ caCerts: [pem] });
      } catch (err) {
        throw new UsageError(
          "ca_file_invalid",
          `The CA bundle "${file}" holds no usable PEM certificate: ${
            (err as Error).message
          }. ${fix}`,
          { cause: err },
        );
      }
    })();
    await this.#clientReady;
  }

  async #readCapped(
    response: Response,
    url: string,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const max = this.#options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!response.body) return new Uint8Array();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > max) {
        await response.body.cancel().catch(() => {});
        throw new ProviderError(
          "response_too_large",
          `The answer from "${
            redact(url)
          }" is larger than ${max} bytes; it is not read.`,
        );
      }
      chunks.push(chunk);
    }
    const out = new Uint8Array(size);
    let offset = 0;
    for (const c of chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

function redactAuthorization(value: string): string {
  const [scheme] = value.split(" ");
  return `${scheme} [redacted]`;
}
