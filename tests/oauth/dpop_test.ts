import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import * as jose from "jose";
import {
  chooseDpopAlg,
  dpopProof,
  dpopProofWithoutToken,
  generateDpopKey,
} from "../../src/oauth/dpop.ts";

const verify = async (proof: string) => {
  const { payload, protectedHeader } = await jose.jwtVerify(
    proof,
    jose.EmbeddedJWK,
    { typ: "dpop+jwt", maxTokenAge: 60 },
  );
  return {
    payload,
    header: protectedHeader,
    jkt: await jose.calculateJwkThumbprint(protectedHeader.jwk!),
  };
};

Deno.test("dpop: ES256 is preferred; an unknown list is refused", () => {
  assertEquals(chooseDpopAlg(["RS256", "ES256", "EdDSA"]), "ES256");
  assertEquals(chooseDpopAlg(["Ed25519", "EdDSA"]), "EdDSA");
  assertThrows(() => chooseDpopAlg(["HS256"]), {
    code: "dpop_alg_unsupported",
    message: /HS256/,
  });
});

Deno.test("dpop: a proof without a token, for revocation, verifies and has no ath", async () => {
  const key = await generateDpopKey("ES256");
  const url = new URL("https://id.example/token/revocation?x=1");
  const proof = await dpopProofWithoutToken(key, "POST", url);
  const { payload, header, jkt } = await verify(proof);
  assertEquals(jkt, key.jkt);
  assertEquals(header.alg, "ES256");
  assertEquals(payload.htm, "POST");
  assertEquals(payload.htu, "https://id.example/token/revocation");
  assertEquals(payload.ath, undefined);
  assert(typeof payload.jti === "string" && payload.jti.length >= 16);
  assertEquals("d" in header.jwk!, false, "no private part in the header");
  const again = await dpopProofWithoutToken(key, "POST", url);
  assert((await verify(again)).payload.jti !== payload.jti, "fresh jti");
});

Deno.test("dpop: a proof for one request carries the token's hash", async () => {
  const key = await generateDpopKey("ES256");
  const proof = await dpopProof(
    key,
    "GET",
    new URL("https://api.example/me"),
    "the-token",
  );
  const { payload, jkt } = await verify(proof);
  assertEquals(jkt, key.jkt);
  assertEquals(payload.htm, "GET");
  const ath = new Uint8Array(
    await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode("the-token"),
    ),
  ).toBase64({ alphabet: "base64url", omitPadding: true });
  assertEquals(payload.ath, ath);
});
