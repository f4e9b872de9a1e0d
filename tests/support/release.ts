/**
 * Local releases for the packaging, upgrade and update-notice tests: made
 * by the real `deno task package` (stand-in binaries, as its README use
 * says), and served the way GitHub serves release assets
 * (`/OWNER/REPO/releases/latest/download/FILE`,
 * `/OWNER/REPO/releases/download/vVERSION/FILE`), with the faults a real
 * server seldom produces on demand.
 */

import { baseEnv } from "./cli.ts";
import { runProgram } from "./run.ts";

const root = new URL("../../", import.meta.url);

/** Makes a release with `deno task package OUT` and the given build variables. */
export async function makeRelease(
  out: string,
  build: Record<string, string>,
): Promise<string[]> {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  );
  const words: string[] = config.tasks.package.split(/\s+/).slice(1);
  const result = await runProgram(Deno.execPath(), [
    ...words.map((w) => w.endsWith(".ts") ? new URL(w, root).pathname : w),
    out,
  ], { cwd: root.pathname, env: { ...baseEnv(), NO_COLOR: "1", ...build } });
  if (result.code !== 0) {
    throw new Error(
      `deno task package failed (${result.code}):\n${result.stderr}`,
    );
  }
  return result.stdout.trim().split("\n").map((p) =>
    p.slice(p.lastIndexOf("/") + 1)
  );
}

/** How the server misbehaves. */
export type ReleaseFault =
  | "none"
  /** Binaries are served with one byte changed. */
  | "tamper"
  /** Binaries are cut off halfway, the connection closed. */
  | "cut"
  /** Nothing is ever answered. */
  | "hang";

/** A release server on 127.0.0.1. */
export interface ReleaseServer {
  url: string;
  /** Every path asked for. */
  requests: string[];
  fault: ReleaseFault;
  /** Lines appended to every SHA256SUMS served. */
  extraSums: string[];
  close(): Promise<void>;
}

/**
 * Serves `releases` (version → directory made by {@linkcode makeRelease})
 * of `repo`; `latest` is the version `releases/latest` names.
 */
export function serveReleases(
  repo: string,
  releases: Record<string, string>,
  latest: string,
): ReleaseServer {
  const hanging = new Set<() => void>();
  const state: ReleaseServer = {
    url: "",
    requests: [],
    fault: "none",
    extraSums: [],
    close: async () => {
      for (const release of hanging) release();
      await server.shutdown();
    },
  };
  const prefix = `/${repo}/releases/`;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      state.requests.push(path);
      if (state.fault === "hang") {
        await new Promise<void>((resolve) => hanging.add(resolve));
        return new Response("gone", { status: 503 });
      }
      if (!path.startsWith(prefix)) return new Response("", { status: 404 });
      const rest = path.slice(prefix.length).split("/");
      let version: string | undefined;
      let file: string | undefined;
      if (rest[0] === "latest" && rest[1] === "download") {
        version = latest;
        file = rest[2];
      } else if (rest[0] === "download" && rest[1]?.startsWith("v")) {
        version = rest[1].slice(1);
        file = rest[2];
      }
      const dir = version ? releases[version] : undefined;
      if (!dir || !file || file.includes("..")) {
        return new Response("", { status: 404 });
      }
      let data: Uint8Array<ArrayBuffer>;
      try {
        data = await Deno.readFile(`${dir}/${decodeURIComponent(file)}`);
      } catch {
        return new Response("", { status: 404 });
      }
      if (file === "SHA256SUMS" && state.extraSums.length) {
        data = new TextEncoder().encode(
          new TextDecoder().decode(data) + state.extraSums.join("\n") + "\n",
        );
      }
      const binary = /-(x86_64|aarch64)-[a-z0-9_-]+$/.test(file);
      if (binary && state.fault === "tamper") {
        data = data.slice();
        data[data.length - 2] ^= 1;
      }
      if (binary && state.fault === "cut") {
        const half = data.subarray(0, data.length >> 1);
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(half);
            // Then the connection breaks.
            setTimeout(() => controller.error(new Error("cut")), 50);
          },
        });
        return new Response(body, {
          headers: { "content-length": String(data.length) },
        });
      }
      return new Response(data);
    },
  );
  state.url = `http://127.0.0.1:${server.addr.port}`;
  return state;
}

/** SHA-256 of a file, hex. */
export async function sha256File(path: string): Promise<string> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", await Deno.readFile(path)),
  ).toHex();
}
