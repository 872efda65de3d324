/**
 * The App manifest flow's one-time codes: GitHub redirects back with a `code` that converts into the new App
 * once, within one hour.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";

/** GitHub's manifest fields (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest). */
export const appManifestSchema = z.object({
  name: z.string().min(1).max(34),
  url: z.url(),
  description: z.string().max(4096).optional(),
  hook_attributes: z.object({ url: z.url(), active: z.boolean().default(true) }).optional(),
  redirect_url: z.url().optional(),
  callback_urls: z.array(z.url()).max(10).optional(),
  setup_url: z.url().optional(),
  setup_on_update: z.boolean().optional(),
  request_oauth_on_install: z.boolean().optional(),
  public: z.boolean().default(false),
  default_events: z.array(z.string().regex(/^[a-z_]+$/)).default([]),
  default_permissions: z
    .record(z.string().regex(/^[a-z_]+$/), z.enum(["read", "write", "admin"]))
    .default({}),
});

export type AppManifest = z.infer<typeof appManifestSchema>;

/** How long a code converts: one hour, as on GitHub. */
export const MANIFEST_CODE_TTL_MS = 60 * 60_000;

interface PendingManifest {
  manifest: AppManifest;
  owner: string;
  expiresAt: number;
}

/** Codes issued by the create page and not yet converted. */
export class ManifestCodes {
  readonly #pending = new Map<string, PendingManifest>();
  readonly #clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  /** Issues a code for a manifest the owner confirmed. */
  issue(manifest: AppManifest, owner: string): string {
    this.#sweep();
    const code = randomBytes(20).toString("hex");
    this.#pending.set(code, { manifest, owner, expiresAt: this.#clock() + MANIFEST_CODE_TTL_MS });
    return code;
  }

  /** Takes a code (once): the manifest and owner, or undefined when unknown, used or expired. */
  consume(code: string): { manifest: AppManifest; owner: string } | undefined {
    const pending = this.#pending.get(code);
    this.#pending.delete(code);
    if (!pending || pending.expiresAt <= this.#clock()) return undefined;
    return { manifest: pending.manifest, owner: pending.owner };
  }

  /** Moves a code's expiry into the past (control API), so tests can see an expired code without waiting. */
  expire(code: string): boolean {
    const pending = this.#pending.get(code);
    if (!pending) return false;
    pending.expiresAt = this.#clock() - 1;
    return true;
  }

  #sweep(): void {
    const now = this.#clock();
    for (const [code, pending] of this.#pending) if (pending.expiresAt <= now) this.#pending.delete(code);
  }
}
