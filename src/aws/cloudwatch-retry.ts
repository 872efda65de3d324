/** Backoff settings for CloudWatch Logs calls. */
export interface RetryOptions {
  /** Attempts per call, the first included. Default 5. */
  maxAttempts?: number;
  /** First backoff ceiling. Default 100 ms. */
  baseDelayMs?: number;
  /** Largest backoff ceiling. Default 2000 ms. */
  maxDelayMs?: number;
  /** Abort a call that has not answered after this long. Default 5000 ms. */
  callTimeoutMs?: number;
}

const RETRYABLE_NAMES = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "ServiceUnavailableException",
  "ServiceUnavailable",
  "InternalServiceError",
  "InternalFailure",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "AbortError",
]);

const RETRYABLE_NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
]);

/** Throttling, 5xx and network errors are worth retrying; validation and access errors are not. */
export function isRetryableAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (RETRYABLE_NAMES.has(error.name)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  for (let e: unknown = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && RETRYABLE_NETWORK_CODES.has(code)) return true;
  }
  return false;
}

/** Full-jitter exponential backoff: a random delay in [0, min(max, base·2^attempt)). */
export function backoffDelayMs(attempt: number, options: RetryOptions): number {
  const ceiling = Math.min(options.maxDelayMs ?? 2000, (options.baseDelayMs ?? 100) * 2 ** attempt);
  return Math.floor(Math.random() * ceiling);
}

/** Runs one AWS call with a per-attempt timeout, retrying retryable errors with backoff, bounded. */
export async function withAwsRetry<T>(
  call: (abortSignal: AbortSignal) => Promise<T>,
  options: RetryOptions,
  onRetry?: (error: unknown, attempt: number) => void,
): Promise<T> {
  const attempts = Math.max(1, options.maxAttempts ?? 5);
  for (let attempt = 0; ; attempt++) {
    try {
      return await call(AbortSignal.timeout(options.callTimeoutMs ?? 5000));
    } catch (error) {
      if (attempt + 1 >= attempts || !isRetryableAwsError(error)) throw error;
      onRetry?.(error, attempt + 1);
      await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(attempt, options)));
    }
  }
}
