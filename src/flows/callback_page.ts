/**
 * The small, self-contained pages the browser sees after a login. They never
 * show the code or a token, load nothing external and follow no redirect.
 *
 * @module
 */

/** Headers on every response of the callback listener. */
export const PAGE_HEADERS: Record<string, string> = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'",
};

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A complete page with a title and a message (both escaped here). */
export function page(title: string, message: string, ok: boolean): string {
  const color = ok ? "#1a7f37" : "#cf222e";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}h1{color:${color};font-size:1.5rem}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${
    escapeHtml(message)
  }</p></body></html>
`;
}

/** A response carrying a page and the listener's headers. */
export function pageResponse(
  status: number,
  title: string,
  message: string,
  ok = false,
): Response {
  return new Response(page(title, message, ok), {
    status,
    headers: PAGE_HEADERS,
  });
}
