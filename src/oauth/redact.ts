/**
 * Removing secrets from text that is printed: debug traces, error messages,
 * crash output.
 *
 * @module
 */

/** Parameter and JSON member names whose values are secret. */
export const SECRET_NAMES = [
  "access_token",
  "refresh_token",
  "id_token",
  "code",
  "code_verifier",
  "device_code",
  "client_secret",
  // RFC 7592: what manages a dynamic registration.
  "registration_access_token",
  "token",
  "assertion",
  "client_assertion",
  "subject_token",
  "actor_token",
  "password",
  "accessToken",
  "refreshToken",
  "idToken",
];

const names = SECRET_NAMES.join("|");
// name=value in URLs and form bodies
const FORM = new RegExp(`(^|[?&\\s])(${names})=([^&\\s#"']*)`, "g");
// "name": "value" in JSON
const JSON_MEMBER = new RegExp(
  `("(?:${names})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`,
  "g",
);
// Bearer and DPoP tokens (but not a short lowercase word of prose, as in
// "DPoP was asked for", nor a challenge's first auth-param, as in
// `Bearer error="invalid_token"`: a token's "=" only ever ends it), and
// anything shaped like a JWT
const BEARER =
  /\b(Bearer|DPoP)\s+(?![a-z]{1,11}(?![A-Za-z0-9._~+/=-]))(?![A-Za-z0-9._~+/-]+=+[^=\s,])[A-Za-z0-9._~+/=-]+/g;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** `text` with every recognisable secret replaced by "[redacted]". */
export function redact(text: string): string {
  return text
    .replace(FORM, (_m, pre, name) => `${pre}${name}=[redacted]`)
    .replace(JSON_MEMBER, (_m, pre) => `${pre}"[redacted]"`)
    .replace(BEARER, (_m, scheme) => `${scheme} [redacted]`)
    .replace(JWT, "[redacted JWT]");
}
