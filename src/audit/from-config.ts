import { hostname } from "node:os";
import { join } from "node:path";
import { CloudWatchAuditSink } from "../aws/cloudwatch-audit-sink.ts";
import type { RepogateConfig } from "../config/index.ts";
import { AuditLog, type AuditLogOptions } from "./audit-log.ts";
import { AuditConfigError } from "./errors.ts";
import { jsonlLocationFromPath } from "./jsonl-files.ts";
import { JsonlAuditSink } from "./jsonl-sink.ts";
import type { AuditSink } from "./sink.ts";

/** What the config file does not say about the audit log. */
export interface AuditFromConfigOptions {
  /** CloudWatch stream of this writer; default `repogate-<hostname>` (one chain per replica). */
  logStream?: string;
  /** Credentials for the CloudWatch client (default: the SDK's chain). */
  credentials?: ConstructorParameters<typeof CloudWatchAuditSink>[0]["credentials"];
  onWarning?: (message: string) => void;
  onDeliveryFailure?: AuditLogOptions["onDeliveryFailure"];
}

/** Builds the configured sink: the JSONL trail, or CloudWatch Logs with the spool beside `audit.file`. */
export function createAuditSink(
  config: Pick<RepogateConfig, "audit" | "aws">,
  options: AuditFromConfigOptions = {},
): AuditSink {
  const { audit, aws } = config;
  if (audit.sink === "cloudwatch") {
    if (!audit.logGroup) {
      throw new AuditConfigError(
        "audit.sink is cloudwatch but audit.logGroup is not set: name the log group to write to",
      );
    }
    return new CloudWatchAuditSink({
      logGroup: audit.logGroup,
      logStream: options.logStream ?? `repogate-${hostname()}`,
      region: aws.region,
      ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  }
  return new JsonlAuditSink({
    ...jsonlLocationFromPath(audit.file),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
}

/** Opens the audit log the config describes (`audit.sink`, `audit.file`, `audit.logGroup`, `audit.onFailure`). */
export async function openAuditLogFromConfig(
  config: Pick<RepogateConfig, "audit" | "aws">,
  options: AuditFromConfigOptions = {},
): Promise<AuditLog> {
  const { dir } = jsonlLocationFromPath(config.audit.file);
  return AuditLog.open({
    sink: createAuditSink(config, options),
    onFailure: config.audit.onFailure,
    spoolDir: join(dir, "spool"),
    rejectedFile: join(dir, "rejected.jsonl"),
    ...(options.onDeliveryFailure ? { onDeliveryFailure: options.onDeliveryFailure } : {}),
  });
}
