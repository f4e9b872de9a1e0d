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
