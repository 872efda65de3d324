import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import type { RsaKeySpec } from "./model.ts";
import { rsaBits } from "./model.ts";

const generateKeyPairAsync = promisify(generateKeyPair);

/** A new RSA private key of the spec's size, generated off the event loop (RSA 4096 takes a while). */
export async function generateRsaPrivateKeyPem(spec: RsaKeySpec): Promise<string> {
  const { privateKey } = await generateKeyPairAsync("rsa", {
    modulusLength: rsaBits(spec),
    publicExponent: 0x10001,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return privateKey;
}

/** The DER SubjectPublicKeyInfo of a private key, base64, as GetPublicKey returns it. */
export function publicKeyDerBase64(privateKeyPem: string): string {
  return (createPublicKey(privateKeyPem).export({ type: "spki", format: "der" }) as Buffer).toString(
    "base64",
  );
}

/** A stable id of key material (KMS reports one per import as KeyMaterialId). */
export function keyMaterialId(publicKeyDer: string): string {
  return createHash("sha256").update(Buffer.from(publicKeyDer, "base64")).digest("hex");
}

const keyCache = new Map<string, KeyObject>();

/** The KeyObject for a stored PEM, parsed once per process. */
export function privateKeyObject(pem: string): KeyObject {
  let key = keyCache.get(pem);
  if (!key) {
    key = createPrivateKey(pem);
    keyCache.set(pem, key);
  }
  return key;
}
