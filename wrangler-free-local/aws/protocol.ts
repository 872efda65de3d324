import { randomUUID } from "node:crypto";

/** The three services this emulator speaks, named as in their SigV4 credential scope. */
export type AwsServiceName = "kms" | "secretsmanager" | "logs";

export const AWS_SERVICES: readonly AwsServiceName[] = ["kms", "secretsmanager", "logs"];

/** X-Amz-Target prefixes of the AWS JSON 1.1 services, as the SDK clients send them. */
const TARGET_PREFIXES: Record<string, AwsServiceName> = {
  TrentService: "kms",
  secretsmanager: "secretsmanager",
  Logs_20140328: "logs",
};

export const AWS_JSON_CONTENT_TYPE = "application/x-amz-json-1.1";

/**
 * An error the way an AWS JSON-protocol service returns it: an error code the SDK maps to its exception class,
 * a human message and an HTTP status (400 for client errors, 5xx for service faults).
 */
export class AwsServiceError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
  }
}

/** The operation an AWS JSON request asks for, from its X-Amz-Target header. */
export interface AwsTarget {
  service: AwsServiceName;
  operation: string;
}

/** Splits `TrentService.Sign` into service and operation; undefined when the prefix is not one we serve. */
export function parseTarget(header: string | undefined): AwsTarget | undefined {
  if (!header) return undefined;
  const dot = header.indexOf(".");
  if (dot <= 0) return undefined;
  const service = TARGET_PREFIXES[header.slice(0, dot)];
  const operation = header.slice(dot + 1);
  if (!service || !operation) return undefined;
  return { service, operation };
}

/** A fresh request id, as AWS puts in `x-amzn-RequestId` on every response. */
export function newRequestId(): string {
  return randomUUID();
}

/** The JSON 200 response of an operation; `undefined` output gives the empty body AWS sends for void operations. */
export function jsonResponse(requestId: string, output: unknown): Response {
  return new Response(output === undefined ? "" : JSON.stringify(output), {
    status: 200,
    headers: { "content-type": AWS_JSON_CONTENT_TYPE, "x-amzn-RequestId": requestId },
  });
}

/**
 * The error response of a JSON-protocol service: `__type` in the body and `x-amzn-ErrorType` in the headers, which
 * is what the SDK's awsJson1_1 deserializer reads to pick the exception class. Secrets Manager spells the message
 * field `Message`; KMS and CloudWatch Logs spell it `message`.
 */
export function errorResponse(requestId: string, error: AwsServiceError, service?: AwsServiceName): Response {
  const messageField = service === "secretsmanager" ? "Message" : "message";
  return new Response(JSON.stringify({ __type: error.code, [messageField]: error.message }), {
    status: error.status,
    headers: {
      "content-type": AWS_JSON_CONTENT_TYPE,
      "x-amzn-RequestId": requestId,
      "x-amzn-ErrorType": error.code,
    },
  });
}

/** The JSON body of an AWS request as an object; a body that is not a JSON object is a SerializationException. */
export function parseJsonBody(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AwsServiceError(
      "SerializationException",
      `Request body is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new AwsServiceError("SerializationException", "Request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/** Epoch seconds, the JSON wire form of timestamps in KMS and Secrets Manager. */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}

/** Validation in the words AWS uses for constraint failures ("1 validation error detected: ..."). */
export function validationMessage(detail: string): string {
  return `1 validation error detected: ${detail}`;
}
