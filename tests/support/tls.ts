/**
 * A private certificate authority for the tests (openssl, installed by
 * scripts/setup.sh): a CA and a server certificate for 127.0.0.1.
 */

/** PEM texts, and where the CA's certificate is. */
export interface TestCertificates {
  /** The CA's certificate (PEM). */
  caPem: string;
  /** Its path, for --ca-file or a child's CA bundle. */
  caFile: string;
  /** The server's certificate for 127.0.0.1 (PEM), signed by the CA. */
  cert: string;
  /** The server's key (PEM). */
  key: string;
}

/** Makes a CA and a 127.0.0.1 server certificate in `dir`. */
export async function makeTestCertificates(
  dir: string,
): Promise<TestCertificates> {
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=authctl-test-ca -keyout ca.key -out ca.pem" +
      " && openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout srv.key -out srv.csr" +
      " && printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf" +
      " && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf -out srv.pem",
    ],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `openssl failed (run scripts/setup.sh): ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return {
    caPem: await Deno.readTextFile(`${dir}/ca.pem`),
    caFile: `${dir}/ca.pem`,
    cert: await Deno.readTextFile(`${dir}/srv.pem`),
    key: await Deno.readTextFile(`${dir}/srv.key`),
  };
}
