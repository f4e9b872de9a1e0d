/**
 * A tiny HTTP/1.1 server on raw TCP, for faults a normal server cannot
 * produce: a connection dropped without an answer, an answer that never
 * comes.
 */

/** What to do with one request. */
export type RawAction =
  | {
    kind: "respond";
    status: number;
    headers?: Record<string, string>;
    body: string;
  }
  | { kind: "drop" }
  | { kind: "hang" };

/** A received request. */
export interface RawRequestInfo {
  method: string;
  path: string;
  body: string;
}

/** A running raw server. */
export interface RawServer {
  url: string;
  close(): void;
}

/** Serves every connection with `handler` (one request per connection). */
export function startRawServer(
  handler: (request: RawRequestInfo) => RawAction | Promise<RawAction>,
): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  (async () => {
    for await (const conn of listener) {
      open.add(conn);
      serve(conn).catch(() => {}).finally(() => {
        open.delete(conn);
        try {
          conn.close();
        } catch { /* closed */ }
      });
    }
  })().catch(() => {});

  async function serve(conn: Deno.Conn) {
    const decoder = new TextDecoder();
    let text = "";
    const buf = new Uint8Array(65536);
    while (true) {
      const head = text.indexOf("\r\n\r\n");
      if (head >= 0) {
        const length = Number(
          /content-length: *(\d+)/i.exec(text.slice(0, head))?.[1] ?? 0,
        );
        if (text.length >= head + 4 + length) break;
      }
      const n = await conn.read(buf);
      if (n === null) return;
      text += decoder.decode(buf.subarray(0, n));
    }
    const head = text.indexOf("\r\n\r\n");
    const [method, path] = text.slice(0, text.indexOf("\r\n")).split(" ");
    const action = await handler({ method, path, body: text.slice(head + 4) });
    if (action.kind === "drop") return;
    if (action.kind === "hang") return await new Promise(() => {});
    const headers = {
      "content-type": "application/json",
      "content-length": String(new TextEncoder().encode(action.body).length),
      connection: "close",
      ...action.headers,
    };
    const response = `HTTP/1.1 ${action.status} X\r\n` +
      Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") +
      `\r\n${action.body}`;
    await conn.write(new TextEncoder().encode(response));
  }

  const { port } = listener.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
    },
  };
}
