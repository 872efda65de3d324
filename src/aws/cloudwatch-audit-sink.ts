import {
  CloudWatchLogsClient,
  type CloudWatchLogsClientConfig,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  type PutLogEventsCommandOutput,
  type RejectedLogEventsInfo,
} from "@aws-sdk/client-cloudwatch-logs";
import { chainEvent } from "../audit/chain.ts";
import { ChainedAuditSink, parseChainHead } from "../audit/chained-sink.ts";
import { AuditSourceError } from "../audit/errors.ts";
import type { AuditEvent } from "../audit/event.ts";
import { AuditDeliveryError, type RejectedAuditEvent } from "../audit/sink.ts";
import {
  type LogEventDraft,
  PUT_LOG_EVENTS_LIMITS,
  type PutLogEventsLimits,
  splitIntoPutBatches,
} from "./cloudwatch-batches.ts";
import { type RetryOptions, withAwsRetry } from "./cloudwatch-retry.ts";

/** Where and how the CloudWatch sink writes. */
export interface CloudWatchAuditSinkOptions extends RetryOptions {
  logGroup: string;
  /** One stream per writer (replica): each stream is its own hash chain. */
  logStream: string;
  /** A ready client; otherwise one is built from region/endpoint/credentials with SDK retries off. */
  client?: CloudWatchLogsClient;
  region?: string;
  endpoint?: string;
  credentials?: CloudWatchLogsClientConfig["credentials"];
  /** Create the log group and stream when missing. Default true. */
  createIfMissing?: boolean;
  /** Override the PutLogEvents limits (tests). */
  limits?: Partial<PutLogEventsLimits>;
  /** Told about each retried call. */
  onRetry?: (error: unknown, attempt: number) => void;
}

/** Counters for tests and metrics. */
export interface CloudWatchSinkStats {
  putCalls: number;
  events: number;
  retries: number;
  rejectedEvents: number;
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

/** Which events of one PutLogEvents batch AWS reported as rejected, by index. */
function rejectedIndexes(
  info: RejectedLogEventsInfo | undefined,
  length: number,
): Map<number, RejectedAuditEvent["reason"]> {
  const out = new Map<number, RejectedAuditEvent["reason"]>();
  if (!info) return out;
  for (let i = 0; i < (info.tooOldLogEventEndIndex ?? 0) && i < length; i++) out.set(i, "tooOld");
  for (let i = 0; i < (info.expiredLogEventEndIndex ?? 0) && i < length; i++)
    if (!out.has(i)) out.set(i, "expired");
  if (info.tooNewLogEventStartIndex !== undefined) {
    for (let i = info.tooNewLogEventStartIndex; i < length; i++) out.set(i, "tooNew");
  }
  return out;
}

/**
 * Audit sink on CloudWatch Logs. Each event is one log event whose message is the chained event JSON
 * (`prevHash`, `hash` as in the JSONL sink, one chain per stream, continued from the stream's last event after
 * a restart) and whose timestamp is the event's own time. Batches follow the PutLogEvents limits and are sent
 * one at a time to keep order; throttling, 5xx and network errors are retried with jittered backoff; events in
 * `rejectedLogEventsInfo` are reported as rejected, never as delivered.
 */
export class CloudWatchAuditSink extends ChainedAuditSink {
  readonly name: string;
  readonly #options: CloudWatchAuditSinkOptions;
  readonly #client: CloudWatchLogsClient;
  readonly #ownsClient: boolean;
  readonly #limits: PutLogEventsLimits;
  readonly #stats: CloudWatchSinkStats = { putCalls: 0, events: 0, retries: 0, rejectedEvents: 0 };
  #streamEnsured = false;

  constructor(options: CloudWatchAuditSinkOptions) {
    super();
    this.#options = options;
    this.name = `cloudwatch:${options.logGroup}/${options.logStream}`;
    this.#limits = { ...PUT_LOG_EVENTS_LIMITS, ...options.limits };
    this.#ownsClient = options.client === undefined;
    this.#client =
      options.client ??
      new CloudWatchLogsClient({
        region: options.region ?? "us-east-1",
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
        // Retries are ours (bounded, then the audit failure policy decides), not the SDK's.
        maxAttempts: 1,
      });
  }

  stats(): CloudWatchSinkStats {
    return { ...this.#stats };
  }

  protected async release(): Promise<void> {
    if (this.#ownsClient) this.#client.destroy();
  }

  #call<T>(send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return withAwsRetry(send, this.#options, (error, attempt) => {
      this.#stats.retries += 1;
      this.#options.onRetry?.(error, attempt);
    });
  }

  /**
   * Creates the group and stream when asked to (on the first open only: a later re-read of the head after a
   * failed write needs neither, and a deleted stream is recreated by the next put), and continues the chain
   * from the stream's last event.
   */
  protected async openStore(): Promise<void> {
    if (!this.#streamEnsured && (this.#options.createIfMissing ?? true)) await this.#ensureStream();
    this.#streamEnsured = true;
    const { logGroup, logStream } = this.#options;
    const tail = await this.#call((abortSignal) =>
      this.#client.send(
        new GetLogEventsCommand({
          logGroupName: logGroup,
          logStreamName: logStream,
          startFromHead: false,
          limit: 1,
        }),
        { abortSignal },
      ),
    );
    const last = tail.events?.at(-1)?.message;
    if (last === undefined) return;
    const head = parseChainHead(last);
    if (!head) {
      throw new AuditSourceError(
        `the last event of ${this.name} is not a chained audit event, so the chain cannot continue; ` +
          "write to a new log stream and investigate this one with `repogate audit verify --cloudwatch`.",
      );
    }
    this.chain = head;
  }

  async #ensureStream(): Promise<void> {
    const { logGroup, logStream } = this.#options;
    const tolerate = (error: unknown) => {
      if (!isNamed(error, "ResourceAlreadyExistsException")) throw error;
    };
    await this.#call((abortSignal) =>
      this.#client.send(new CreateLogGroupCommand({ logGroupName: logGroup }), { abortSignal }),
    ).catch(tolerate);
    await this.#call((abortSignal) =>
      this.#client.send(new CreateLogStreamCommand({ logGroupName: logGroup, logStreamName: logStream }), {
        abortSignal,
      }),
    ).catch(tolerate);
  }

  protected async writeBatch(events: readonly AuditEvent[]): Promise<void> {
    let prevHash = this.chain.hash;
    const drafts: (LogEventDraft & { hash: string })[] = events.map((event) => {
      const chained = chainEvent(event, prevHash);
      prevHash = chained.hash;
      return {
        id: event.id,
        timestamp: Date.parse(event.time),
        message: JSON.stringify(chained),
        hash: chained.hash,
      };
    });
    const delivered: string[] = [];
    const rejected: RejectedAuditEvent[] = [];
    for (const batch of splitIntoPutBatches(drafts, this.#limits)) {
      let response: PutLogEventsCommandOutput;
      try {
        response = await this.#sendBatch(batch);
      } catch (error) {
        // CloudWatch may have stored the batch before the call failed (a lost answer, a timeout): continuing
        // from the head in memory would fork the chain, and a spool replay would send the batch twice.
        this.rereadHeadBeforeNextWrite();
        throw new AuditDeliveryError(
          `CloudWatch Logs did not accept ${events.length - delivered.length - rejected.length} audit event(s) ` +
            `for ${this.name}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
          { delivered, rejected, cause: error },
        );
      }
      const refused = rejectedIndexes(response.rejectedLogEventsInfo, batch.length);
      batch.forEach((draft, index) => {
        const reason = refused.get(index);
        if (reason) rejected.push({ id: draft.id, reason });
        else delivered.push(draft.id);
      });
      // The chain moves past rejected events too: the gap stays visible to `verify` instead of being hidden.
      const last = batch.at(-1) as LogEventDraft & { hash: string };
      this.chain = { hash: last.hash, id: last.id };
    }
    this.#stats.events += delivered.length;
    if (rejected.length > 0) {
      this.#stats.rejectedEvents += rejected.length;
      throw new AuditDeliveryError(
        `CloudWatch Logs rejected ${rejected.length} audit event(s) for ${this.name} ` +
          `(${[...new Set(rejected.map((r) => r.reason))].join(", ")}); the host clock may be off`,
        { delivered, rejected },
      );
    }
  }

  /** One PutLogEvents call (with retries); recreates a deleted group or stream once. */
  async #sendBatch(batch: readonly LogEventDraft[]): Promise<PutLogEventsCommandOutput> {
    const { logGroup, logStream } = this.#options;
    const logEvents = batch.map((d) => ({ timestamp: d.timestamp, message: d.message }));
    const send = () =>
      this.#call((abortSignal) => {
        this.#stats.putCalls += 1;
        return this.#client.send(
          new PutLogEventsCommand({ logGroupName: logGroup, logStreamName: logStream, logEvents }),
          { abortSignal },
        );
      });
    try {
      return await send();
    } catch (error) {
      if (!isNamed(error, "ResourceNotFoundException") || !(this.#options.createIfMissing ?? true))
        throw error;
      await this.#ensureStream();
      return send();
    }
  }
}
