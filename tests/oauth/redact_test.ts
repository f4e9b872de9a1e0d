import { assertEquals } from "../support/assert.ts";
import { redact } from "../../src/oauth/redact.ts";

Deno.test("redact: Bearer and DPoP credentials go, prose about them stays", () => {
  assertEquals(
    redact("Authorization: Bearer abc.DEF-123_x"),
    "Authorization: Bearer [redacted]",
  );
  assertEquals(
    redact("Authorization: DPoP Zk3t9QxP0aLm7Yc2Rw8vNbU4"),
    "Authorization: DPoP [redacted]",
  );
  // An all-lowercase opaque token long enough to be one is still redacted.
  assertEquals(redact("Bearer abcdefghijklmnop"), "Bearer [redacted]");
  assertEquals(
    redact("DPoP was asked for, but a Bearer token came"),
    "DPoP was asked for, but a Bearer token came",
  );
  assertEquals(
    redact('access_token=s3cr3t&x=1 and {"refresh_token": "r"}'),
    'access_token=[redacted]&x=1 and {"refresh_token": "[redacted]"}',
  );
  assertEquals(redact("id eyJhbGciOi.eyJzdWIiOi.c2ln"), "id [redacted JWT]");
});

Deno.test("redact: a registration's management token (RFC 7592)", () => {
  assertEquals(
    redact(
      '{"client_id":"abc","registration_access_token":"SECRET123","registration_client_uri":"https://as.example/reg/abc"}',
    ),
    '{"client_id":"abc","registration_access_token":"[redacted]","registration_client_uri":"https://as.example/reg/abc"}',
  );
});

Deno.test("redact: a server's challenge stays readable, a token padded with = still goes", () => {
  const challenge =
    'Bearer error="invalid_token", error_description="The access token expired"';
  assertEquals(
    redact(`refused (HTTP 401: ${challenge})`),
    `refused (HTTP 401: ${challenge})`,
  );
  assertEquals(redact('Bearer realm="api"'), 'Bearer realm="api"');
  assertEquals(
    redact("Bearer error=invalid_token"),
    "Bearer error=invalid_token",
  );
  assertEquals(
    redact('DPoP error="use_dpop_nonce"'),
    'DPoP error="use_dpop_nonce"',
  );
  // b64token (RFC 6750 §2.1): "=" only at its end.
  assertEquals(redact("Bearer QWxhZGRpbjpvcGVu=="), "Bearer [redacted]");
  assertEquals(
    redact("Bearer abcdefghijklmn=, next"),
    "Bearer [redacted], next",
  );
});
