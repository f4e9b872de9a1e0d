import { assert } from "./assert.ts";

/**
 * Raw HTTP/1.1 requests, for what fetch will not send (another Host header,
 * odd methods) and to read exactly what a listener answers.
 */

/** Status code, headers and body of a raw response. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** Sends one request over a fresh TCP connection and reads the answer. */
export async function rawRequest(
  port: number,
  options: { method?: string; path: string; host?: string; hostname?: string },
): Promise<RawResponse> {
  const conn = await Deno.connect({
    hostname: options.hostname ?? "127.0.0.1",
    port,
  });
  const host = options.host ?? `127.0.0.1:${port}`;
  const request = `${options.method ?? "GET"} ${options.path} HTTP/1.1\r\n` +
    `Host: ${host}\r\nConnection: close\r\n\r\n`;
  await conn.write(new TextEncoder().encode(request));
  const text = await new Response(conn.readable).text();
  const [head, ...rest] = text.split("\r\n\r\n");
  const [statusLine, ...headerLines] = head.split("\r\n");
  const headers = new Headers();
  for (const line of headerLines) {
    const i = line.indexOf(":");
    headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return {
    status: Number(statusLine.split(" ")[1]),
    headers,
    body: rest.join("\r\n\r\n"),
  };
}

/** Asserts nothing listens at the URL's address any more. */
export async function assertRefused(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  try {
    const conn = await Deno.connect({ hostname, port: Number(port) });
    conn.close();
  } catch (err) {
    assert(err instanceof Deno.errors.ConnectionRefused, String(err));
    return;
  }
  throw new Error(`something still listens on ${hostname}:${port}`);
}
