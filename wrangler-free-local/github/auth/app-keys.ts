/**
 * The App's private keys as GitHub keeps them: several may be active at once (an admin generates a new key,
 * moves to it, then deletes the old one), and an App JWT signed by any active key is accepted.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";

/** One active App key: an id (as GitHub lists keys in the App's settings) and its public half. */
export interface AppKey {
  id: number;
  publicKey: KeyObject;
  createdAt: string;
}

/** GitHub allows at most 25 private keys per App. */
export const MAX_APP_KEYS = 25;

/** The App's active keys; the emulator verifies App JWTs against all of them. */
export class AppKeyRing {
  #keys: AppKey[] = [];
  #nextId = 1;

  constructor(initial?: KeyObject) {
    if (initial) this.add(initial);
  }

  /** Public keys App JWTs are checked against. */
  publicKeys(): KeyObject[] {
    return this.#keys.map((k) => k.publicKey);
  }

  /** Active keys, oldest first. */
  list(): AppKey[] {
    return [...this.#keys];
  }

  /** Adds a key's public half; returns its id. */
  add(publicKey: KeyObject): AppKey {
    if (this.#keys.length >= MAX_APP_KEYS) throw new Error(`an App has at most ${MAX_APP_KEYS} private keys`);
    const key = { id: this.#nextId++, publicKey, createdAt: new Date().toISOString() };
    this.#keys.push(key);
    return key;
  }

  /** Replaces every key (a new App from a manifest starts with exactly one). */
  replace(publicKey: KeyObject): AppKey {
    this.#keys = [];
    return this.add(publicKey);
  }

  /** Deletes a key; GitHub refuses to delete an App's last key. Returns false when there is no such key. */
  remove(id: number): boolean {
    const index = this.#keys.findIndex((k) => k.id === id);
    if (index < 0) return false;
    if (this.#keys.length === 1) throw new Error("an App must keep at least one private key");
    this.#keys.splice(index, 1);
    return true;
  }

  /** Generates a key as "Generate a private key" does; GitHub hands out the private half once, as PKCS#1 PEM. */
  generate(): { key: AppKey; pem: string } {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = pair.privateKey.export({ type: "pkcs1", format: "pem" }) as string;
    return { key: this.add(pair.publicKey), pem };
  }
}
