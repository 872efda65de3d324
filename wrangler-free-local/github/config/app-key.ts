/**
 * The App's RSA key pair. The private key is created on first run and kept under the data
 * directory only (never committed); the emulator verifies App JWTs against its public half.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface AppKeyPair {
  /** Absolute path of the PKCS#8 PEM file. */
  privateKeyPath: string;
  publicKey: KeyObject;
}

/** Where the App private key lives under a data directory. */
export function appPrivateKeyPath(dataDir: string): string {
  return join(dataDir, "github", "app-private-key.pem");
}

/** Loads the App key from `<dataDir>/github/app-private-key.pem`, generating an RSA-2048 key there if absent. */
export async function ensureAppKey(dataDir: string): Promise<AppKeyPair> {
  const privateKeyPath = appPrivateKeyPath(dataDir);
  await mkdir(join(dataDir, "github"), { recursive: true, mode: 0o700 });
  let pem: string;
  try {
    pem = await readFile(privateKeyPath, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    const generated = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    try {
      // "wx": two emulators starting on one data dir must not overwrite each other's key.
      await writeFile(privateKeyPath, generated.privateKey, { mode: 0o600, flag: "wx" });
      pem = generated.privateKey;
    } catch (writeErr) {
      if ((writeErr as NodeJS.ErrnoException).code !== "EEXIST") throw writeErr;
      pem = await readFile(privateKeyPath, "utf8");
    }
  }
  return { privateKeyPath, publicKey: createPublicKey(createPrivateKey(pem)) };
}
