import type { AppJwtSigner } from "./app-jwt-signer.ts";

/** A signed App JWT and when GitHub stops accepting it. */
export interface AppJwt {
  jwt: string;
  /** Seconds since the epoch, as in the `exp` claim. */
  expiresAtSeconds: number;
}

export interface AppJwtProviderOptions {
  appId: number | string;
  /** Preferred `iss` when set (GitHub accepts the client id or the App id). */
  clientId?: string | undefined;
  signer: AppJwtSigner;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  clock?: () => number;
  /** How far `iat` is backdated against clock drift (GitHub recommends 60 s). */
  backdateSeconds?: number;
  /** `exp - iat`; GitHub rejects more than 600 s. */
  lifetimeSeconds?: number;
  /** A cached JWT is replaced once it is this close to `exp`. */
  refreshBeforeExpirySeconds?: number;
}

const MAX_LIFETIME_SECONDS = 600;

function base64url(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString("base64url");
}

/**
 * Builds GitHub App JWTs and keeps the current one until shortly before it expires, so the signer
 * (KMS) is called about once per JWT lifetime per process: concurrent callers share one signing.
 */
export class AppJwtProvider {
  readonly #appId: string;
  readonly #issuer: string;
  readonly #signer: AppJwtSigner;
  readonly #clock: () => number;
  readonly #backdate: number;
  readonly #lifetime: number;
  readonly #refreshBefore: number;
  /** GitHub's clock minus ours, learnt from auth-app's time-skew retry. */
  #skewSeconds = 0;
  #current: AppJwt | undefined;
  #inFlight: Promise<AppJwt> | undefined;
  #signatures = 0;

  constructor(options: AppJwtProviderOptions) {
    this.#appId = String(options.appId);
    this.#issuer = options.clientId || this.#appId;
    this.#signer = options.signer;
    this.#clock = options.clock ?? Date.now;
    this.#backdate = options.backdateSeconds ?? 60;
    this.#lifetime = Math.min(options.lifetimeSeconds ?? MAX_LIFETIME_SECONDS, MAX_LIFETIME_SECONDS);
    this.#refreshBefore = options.refreshBeforeExpirySeconds ?? 60;
    if (this.#lifetime - this.#backdate <= this.#refreshBefore) {
      throw new RangeError(
        "App JWT lifetime must exceed backdate + refresh margin, or every call would re-sign.",
      );
    }
  }

  /** How many JWTs this provider has signed (for metrics and tests). */
  get signatureCount(): number {
    return this.#signatures;
  }

  /** Returns a valid App JWT, signing a new one only when none is cached or it is about to expire. */
  async getJwt(): Promise<AppJwt> {
    const now = this.#nowSeconds();
    const current = this.#current;
    if (current && current.expiresAtSeconds - now > this.#refreshBefore) return current;
    if (this.#inFlight) return this.#inFlight;
    // Only a successful signing is stored; after a failure the next caller simply tries again.
    const signing = this.#signNew(now).then((jwt) => {
      this.#current = jwt;
      return jwt;
    });
    this.#inFlight = signing;
    try {
      return await signing;
    } finally {
      if (this.#inFlight === signing) this.#inFlight = undefined;
    }
  }

  /** Drops the cached JWT (e.g. after GitHub rejected it); the next call signs a new one. */
  invalidate(): void {
    this.#current = undefined;
  }

  /**
   * The `createJwt` option of `@octokit/auth-app`: auth-app passes a `timeDifference` (seconds) when
   * GitHub rejected a JWT for clock skew, in which case the skew is remembered and a new JWT signed.
   */
  readonly createJwt = async (
    _clientIdOrAppId: string | number,
    timeDifference?: number,
  ): Promise<{ jwt: string; expiresAt: string }> => {
    if (timeDifference && timeDifference !== this.#skewSeconds) {
      this.#skewSeconds = timeDifference;
      this.invalidate();
    }
    const { jwt, expiresAtSeconds } = await this.getJwt();
    return { jwt, expiresAt: new Date(expiresAtSeconds * 1000).toISOString() };
  };

  #nowSeconds(): number {
    return Math.floor(this.#clock() / 1000) + this.#skewSeconds;
  }

  async #signNew(now: number): Promise<AppJwt> {
    const iat = now - this.#backdate;
    const exp = iat + this.#lifetime;
    const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
    const payload = base64url(JSON.stringify({ iat, exp, iss: this.#issuer }));
    const signingInput = `${header}.${payload}`;
    const signature = await this.#signer.sign(signingInput);
    this.#signatures++;
    return { jwt: `${signingInput}.${base64url(signature)}`, expiresAtSeconds: exp };
  }
}
