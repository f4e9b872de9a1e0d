/**
 * A build's GitHub releases, read without the API (no token, no rate
 * limit): `releases/latest/download/SHA256SUMS` names the newest binary for
 * each target, and `releases/download/vVERSION/FILE` serves it.
 *
 * @module
 */

import {
  findBinary,
  type ReleaseAsset,
  type Target,
} from "../config/distribution.ts";
import { AuthctlError, ExitCode, UsageError } from "../errors.ts";
import { isSecureUrl } from "../platform/env.ts";

/** The newest release's binary for this machine. */
export interface LatestRelease extends ReleaseAsset {
  version: string;
  /** Where the binary is downloaded from. */
  url: string;
}

/** Where a build's releases are, and what it is. */
export interface ReleaseSource {
  /** `OWNER/REPO`. */
  repo: string;
  /** The build's name: only `NAME-…` files are this build's. */
  name: string;
  target: Target;
  /** `https://github.com`, or a stand-in (`AUTHCTL_GITHUB_URL`). */
  githubUrl: string;
  fetch: typeof fetch;
}

/** The releases could not be read, or a download is not what it should be. */
export class ReleaseError extends AuthctlError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, ExitCode.failure, message, options);
  }
}

/** `SHA256SUMS` is small; a binary is at most this large. */
const MAX_SUMS_BYTES = 256 * 1024;
const MAX_BINARY_BYTES = 512 * 1024 * 1024;
const MAX_REDIRECTS = 5;

/**
 * The GitHub URL releases are read from: `AUTHCTL_GITHUB_URL` (a GitHub
 * Enterprise host or a mirror; https, or http on this machine) or
 * `https://github.com`.
 */
export function githubUrl(value: string | undefined): string {
  const raw = value || "https://github.com";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      "bad_github_url",
      `AUTHCTL_GITHUB_URL "${raw}" is not a URL. Unset it, or give e.g. https://github.example.com.`,
    );
  }
  if (!isSecureUrl(url)) {
    throw new UsageError(
      "insecure_github_url",
      `AUTHCTL_GITHUB_URL "${raw}" is not https: releases are only downloaded over https (or from this machine). Unset it, or give an https URL.`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

/** Reads the newest release's `SHA256SUMS` and finds this build's binary. */
export async function latestRelease(
  source: ReleaseSource,
  signal: AbortSignal,
): Promise<LatestRelease> {
  const base = `${source.githubUrl}/${source.repo}/releases`;
  const sumsUrl = `${base}/latest/download/SHA256SUMS`;
  const sums = new TextDecoder().decode(
    await download(source.fetch, sumsUrl, MAX_SUMS_BYTES, signal),
  );
  const found = findBinary(sums, source.name, source.target);
  if (!found) {
    throw new ReleaseError(
      "no_release_binary",
      `The latest release of ${source.repo} has no ${source.name} for ${source.target} (${sumsUrl} lists none). Check ${base} for the files it has.`,
    );
  }
  return {
    ...found,
    url: `${base}/download/v${encodeURIComponent(found.version)}/${
      encodeURIComponent(found.file)
    }`,
  };
}

/**
 * Downloads `release`'s binary and checks it against its `SHA256SUMS`
 * line; a mismatch (or a cut-off download) throws and returns nothing.
 */
export async function downloadVerified(
  source: Pick<ReleaseSource, "fetch">,
  release: LatestRelease,
  signal: AbortSignal,
): Promise<Uint8Array<ArrayBuffer>> {
  const data = await download(
    source.fetch,
    release.url,
    MAX_BINARY_BYTES,
    signal,
  );
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", data),
  ).toHex();
  if (digest !== release.sha256) {
    throw new ReleaseError(
      "checksum_mismatch",
      `Checksum mismatch for ${release.file}: SHA256SUMS says ${release.sha256}, the download is ${digest}. Nothing was changed. Try again later; if it persists, report it to the publisher of this build.`,
    );
  }
  return data;
}

/**
 * GETs `url`, following redirects only to https (or this machine), with a
 * size cap; any failure is a {@linkcode ReleaseError} naming the URL.
 */
async function download(
  fetchFn: typeof fetch,
  url: string,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Uint8Array<ArrayBuffer>> {
  let current = new URL(url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (!isSecureUrl(current)) {
      throw new ReleaseError(
        "insecure_download",
        `Refusing to download ${url} from "${current.href}": not https.`,
      );
    }
    let response: Response;
    try {
      response = await fetchFn(current, { redirect: "manual", signal });
    } catch (err) {
      throw unreachable(url, err);
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = response.headers.get("location");
      if (!location) break;
      current = new URL(location, current);
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ReleaseError(
        "download_failed",
        `Cannot download ${url}: the server answered ${response.status}.`,
      );
    }
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw tooLarge(url, maxBytes);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body ?? []) {
        size += chunk.length;
        if (size > maxBytes) throw tooLarge(url, maxBytes);
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof ReleaseError) throw err;
      throw new ReleaseError(
        "download_cut",
        `The download of ${url} was cut off after ${size} bytes. Nothing was changed; try again.`,
        { cause: err },
      );
    }
    if (Number.isFinite(declared) && size !== declared) {
      throw new ReleaseError(
        "download_cut",
        `The download of ${url} was cut off after ${size} of ${declared} bytes. Nothing was changed; try again.`,
      );
    }
    const data = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      data.set(chunk, offset);
      offset += chunk.length;
    }
    return data;
  }
  throw new ReleaseError(
    "download_failed",
    `Cannot download ${url}: too many redirects.`,
  );
}

function unreachable(url: string, err: unknown): ReleaseError {
  const why = err instanceof Error ? err.message : String(err);
  return new ReleaseError(
    "releases_unreachable",
    `Cannot reach ${
      new URL(url).origin
    } for ${url}: ${why}. Check the network (and HTTPS_PROXY), then try again.`,
    { cause: err },
  );
}

function tooLarge(url: string, maxBytes: number): ReleaseError {
  return new ReleaseError(
    "download_too_large",
    `${url} is larger than ${maxBytes} bytes: not a release file of this program. Nothing was changed.`,
  );
}
