import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** What oidc-provider stores for one artifact (token, session, client, grant...). */
export type StoredPayload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string };

interface Entry {
  payload: StoredPayload;
  /** Epoch milliseconds; absent for artifacts that never expire (registered clients). */
  expiresAt?: number;
}

/** Raised when state.json cannot be read back; deleting it only forgets registered clients and refresh tokens. */
export class DevIdpStateFileError extends Error {
  readonly code = "IDP_STATE_FILE_INVALID";
  constructor(file: string) {
    super(
      `dev IdP state file ${file} is not valid JSON; delete it (registered clients will have to register again)`,
    );
    this.name = "DevIdpStateFileError";
  }
}

/** The adapter contract oidc-provider calls for each model (see its docs: "adapter"). */
export interface ProviderAdapter {
  upsert(id: string, payload: StoredPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<StoredPayload | undefined>;
  findByUid(uid: string): Promise<StoredPayload | undefined>;
  findByUserCode(userCode: string): Promise<StoredPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/**
 * Models kept across restarts: dynamically registered clients (mcp-remote caches its client_id in
 * ~/.mcp-auth), and the grants and refresh tokens that let a client refresh instead of signing in again.
 * Sessions, codes and interactions are short-lived and stay in memory.
 */
const PERSISTED_MODELS = new Set(["Client", "Grant", "RefreshToken"]);
const GRANT_MEMBERS = new Set(["AccessToken", "AuthorizationCode", "RefreshToken", "DeviceCode"]);

/** In-memory storage for oidc-provider with the durable models mirrored to `<dataDir>/idp/state.json`. */
export class DevIdpStore {
  private readonly entries = new Map<string, Entry>();
  private writeChain: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  /** Opens the store, loading durable entries left by an earlier run. */
  static async open(stateDir: string): Promise<DevIdpStore> {
    const store = new DevIdpStore(path.join(stateDir, "state.json"));
    let text: string | undefined;
    try {
      text = await readFile(store.file, "utf8");
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "ENOENT") throw cause;
    }
    if (text !== undefined) {
      let saved: Record<string, Entry>;
      try {
        saved = JSON.parse(text) as Record<string, Entry>;
      } catch {
        throw new DevIdpStateFileError(store.file);
      }
      for (const [key, entry] of Object.entries(saved)) store.entries.set(key, entry);
    }
    return store;
  }

  /** The factory oidc-provider's `adapter` option expects: one adapter per model name. */
  adapterFactory(): (model: string) => ProviderAdapter {
    return (model) => this.adapterFor(model);
  }

  /** Waits for pending writes of state.json (used on close). */
  async flush(): Promise<void> {
    await this.writeChain;
  }

  private adapterFor(model: string): ProviderAdapter {
    const key = (id: string) => `${model}:${id}`;
    const live = (entry: Entry | undefined) =>
      entry && (entry.expiresAt === undefined || entry.expiresAt > Date.now()) ? entry : undefined;
    const findWhere = (predicate: (payload: StoredPayload) => boolean) => {
      for (const [k, entry] of this.entries) {
        if (k.startsWith(`${model}:`) && live(entry) && predicate(entry.payload)) return entry.payload;
      }
      return undefined;
    };
    return {
      upsert: async (id, payload, expiresIn) => {
        const expiresAt = typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : undefined;
        this.entries.set(key(id), expiresAt === undefined ? { payload } : { payload, expiresAt });
        await this.changed(model);
      },
      find: async (id) => live(this.entries.get(key(id)))?.payload,
      findByUid: async (uid) => findWhere((p) => p.uid === uid),
      findByUserCode: async (userCode) => findWhere((p) => p.userCode === userCode),
      consume: async (id) => {
        const entry = this.entries.get(key(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
        await this.changed(model);
      },
      destroy: async (id) => {
        this.entries.delete(key(id));
        await this.changed(model);
      },
      revokeByGrantId: async (grantId) => {
        for (const [k, entry] of this.entries) {
          const [entryModel] = k.split(":", 1);
          if (entryModel && GRANT_MEMBERS.has(entryModel) && entry.payload.grantId === grantId) {
            this.entries.delete(k);
            await this.changed(entryModel);
          }
        }
      },
    };
  }

  /**
   * Clients, live refresh tokens, and only the grants those refresh tokens belong to: access tokens
   * are self-contained JWTs, so other grants are not needed after a restart and would pile up.
   */
  private durableSnapshot(): Record<string, Entry> {
    const now = Date.now();
    const live = [...this.entries].filter(([, entry]) => (entry.expiresAt ?? Infinity) > now);
    const refreshGrants = new Set(
      live.filter(([k]) => k.startsWith("RefreshToken:")).map(([, entry]) => entry.payload.grantId),
    );
    const snapshot: Record<string, Entry> = {};
    for (const [k, entry] of live) {
      const [model] = k.split(":", 1);
      if (
        model === "Grant" ? refreshGrants.has(k.slice("Grant:".length)) : PERSISTED_MODELS.has(model ?? "")
      ) {
        snapshot[k] = entry;
      }
    }
    return snapshot;
  }

  /** Mirrors the durable models to disk; the returned promise fails if this write fails. */
  private changed(model: string): Promise<void> {
    if (!PERSISTED_MODELS.has(model)) return Promise.resolve();
    const text = `${JSON.stringify(this.durableSnapshot())}\n`;
    // Writes are chained so an older snapshot never lands after a newer one. A failed write is
    // reported to its own caller (oidc-provider answers server_error) and does not block later ones.
    const write = this.writeChain.then(async () => {
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.file);
    });
    this.writeChain = write.then(
      () => undefined,
      () => undefined,
    );
    return write;
  }
}
