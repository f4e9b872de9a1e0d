/**
 * The device authorization response (RFC 8628 §3.2) in its standard form.
 *
 * @module
 */

/**
 * Some providers name `verification_uri` `verification_url`; rename it so
 * oauth4webapi's validation applies unchanged.
 */
export async function withStandardVerificationUri(
  response: Response,
): Promise<Response> {
  if (response.status !== 200) return response;
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    return response; // oauth4webapi reports the unparseable body
  }
  if (
    typeof body === "object" && body !== null && !Array.isArray(body) &&
    !("verification_uri" in body) && "verification_url" in body
  ) {
    const { verification_url, ...rest } = body as Record<string, unknown>;
    return new Response(
      JSON.stringify({ ...rest, verification_uri: verification_url }),
      { status: 200, headers: response.headers },
    );
  }
  return response;
}
