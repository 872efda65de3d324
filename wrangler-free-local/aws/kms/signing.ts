import {
  constants,
  createHash,
  type KeyObject,
  privateEncrypt,
  publicDecrypt,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import type { RsaSigningAlgorithm } from "./model.ts";

type HashName = "sha256" | "sha384" | "sha512";

/** ASN.1 DigestInfo prefixes of RFC 8017 section 9.2, note 1. */
const DIGEST_INFO_PREFIX: Record<HashName, Buffer> = {
  sha256: Buffer.from("3031300d060960864801650304020105000420", "hex"),
  sha384: Buffer.from("3041300d060960864801650304020205000430", "hex"),
  sha512: Buffer.from("3051300d060960864801650304020305000440", "hex"),
};

const DIGEST_LENGTH: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** The hash a signing algorithm uses and the digest length a DIGEST message must have. */
export function algorithmHash(algorithm: RsaSigningAlgorithm): { hash: HashName; digestLength: number } {
  const hash = `sha${algorithm.slice(-3)}` as HashName;
  return { hash, digestLength: DIGEST_LENGTH[hash] };
}

function isPss(algorithm: RsaSigningAlgorithm): boolean {
  return algorithm.startsWith("RSASSA_PSS_");
}

function mgf1(seed: Buffer, length: number, hash: HashName): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * DIGEST_LENGTH[hash] < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash(hash).update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function modulusBits(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (!bits) throw new Error("not an RSA key");
  return bits;
}

/** EMSA-PSS-ENCODE (RFC 8017 9.1.1) with MGF1 over the same hash and a salt as long as the hash, as KMS uses. */
function pssEncode(digest: Buffer, hash: HashName, emBits: number): Buffer {
  const hLen = DIGEST_LENGTH[hash];
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(hLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(h, emLen - hLen - 1, hash);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] as number) ^ (mask[i] as number);
  db[0] = (db[0] as number) & (0xff >> (8 * emLen - emBits));
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

/** EMSA-PSS-VERIFY (RFC 8017 9.1.2), salt length equal to the hash length. */
function pssVerify(digest: Buffer, em: Buffer, hash: HashName, emBits: number): boolean {
  const hLen = DIGEST_LENGTH[hash];
  const emLen = Math.ceil(emBits / 8);
  // RSA_NO_PADDING output is as long as the modulus; an emBits multiple of 8 leaves a leading zero byte.
  const encoded = em.length > emLen ? em.subarray(em.length - emLen) : em;
  if (encoded.length !== emLen || encoded[emLen - 1] !== 0xbc) return false;
  const maskedDb = encoded.subarray(0, emLen - hLen - 1);
  const h = encoded.subarray(emLen - hLen - 1, emLen - 1);
  if (((maskedDb[0] as number) & ~(0xff >> (8 * emLen - emBits)) & 0xff) !== 0) return false;
  const mask = mgf1(h, maskedDb.length, hash);
  const db = Buffer.alloc(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = (maskedDb[i] as number) ^ (mask[i] as number);
  db[0] = (db[0] as number) & (0xff >> (8 * emLen - emBits));
  const psLen = emLen - 2 * hLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 1) return false;
  const salt = db.subarray(psLen + 1);
  const expected = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return timingSafeEqual(expected, h);
}

/** Signs a message digest (the hash step already done) with an RSA private key, as KMS Sign does. */
export function signDigest(privateKey: KeyObject, algorithm: RsaSigningAlgorithm, digest: Buffer): Buffer {
  const { hash } = algorithmHash(algorithm);
  if (isPss(algorithm)) {
    const em = pssEncode(digest, hash, modulusBits(privateKey) - 1);
    const block = Buffer.concat([Buffer.alloc(modulusBits(privateKey) / 8 - em.length), em]);
    return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, block);
  }
  return privateEncrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
    Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]),
  );
}

/** Checks a signature over a message digest with an RSA public key. */
export function verifyDigest(
  publicKey: KeyObject,
  algorithm: RsaSigningAlgorithm,
  digest: Buffer,
  signature: Buffer,
): boolean {
  const { hash } = algorithmHash(algorithm);
  const bits = modulusBits(publicKey);
  if (signature.length !== bits / 8) return false;
  let recovered: Buffer;
  try {
    recovered = publicDecrypt(
      { key: publicKey, padding: isPss(algorithm) ? constants.RSA_NO_PADDING : constants.RSA_PKCS1_PADDING },
      signature,
    );
  } catch {
    // A signature that does not decrypt to a well-formed block is simply invalid.
    return false;
  }
  if (isPss(algorithm)) return pssVerify(digest, recovered, hash, bits - 1);
  const expected = Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]);
  return recovered.length === expected.length && timingSafeEqual(recovered, expected);
}

/** The digest KMS signs: the message hashed for RAW, the message itself for DIGEST. */
export function messageDigest(algorithm: RsaSigningAlgorithm, message: Buffer, messageType: string): Buffer {
  if (messageType === "DIGEST") return message;
  return createHash(algorithmHash(algorithm).hash).update(message).digest();
}
