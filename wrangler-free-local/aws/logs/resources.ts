import type { RequestInput } from "../input.ts";
import type { OperationContext } from "../operation.ts";
import { AwsServiceError } from "../protocol.ts";
import type { StoredLogGroup, StoredLogStream } from "./model.ts";

export const GROUP_NAME_RULE = { min: 1, max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/ };
export const STREAM_NAME_RULE = { min: 1, max: 512, pattern: /^[^:*]*$/ };

export function groupNotFound(): AwsServiceError {
  return new AwsServiceError("ResourceNotFoundException", "The specified log group does not exist.");
}

export function streamNotFound(): AwsServiceError {
  return new AwsServiceError("ResourceNotFoundException", "The specified log stream does not exist.");
}

export function logGroupArn(context: OperationContext, name: string): string {
  return `arn:aws:logs:${context.region}:${context.accountId}:log-group:${name}`;
}

/** A log group by name, in the caller's account and region. */
export function findGroup(context: OperationContext, name: string): StoredLogGroup {
  const group = context.store.state.logs.groups[`${context.region}/${name}`];
  if (!group || group.accountId !== context.accountId) throw groupNotFound();
  return group;
}

/** The log group named by `logGroupName` or `logGroupIdentifier` (a name or ARN): exactly one of them. */
export function groupFromInput(input: RequestInput, context: OperationContext): StoredLogGroup {
  const name = input.optionalString("logGroupName", GROUP_NAME_RULE);
  const identifier = input.optionalString("logGroupIdentifier", { min: 1, max: 2048 });
  if ((name === undefined) === (identifier === undefined)) {
    throw new AwsServiceError(
      "InvalidParameterException",
      "Exactly one of logGroupName and logGroupIdentifier must be specified.",
    );
  }
  if (name !== undefined) return findGroup(context, name);
  const arnMatch = /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:([^:]+)(:\*)?$/.exec(
    identifier as string,
  );
  return findGroup(context, arnMatch ? (arnMatch[1] as string) : (identifier as string));
}

export function findStream(group: StoredLogGroup, name: string): StoredLogStream {
  const stream = group.streams[name];
  if (!stream) throw streamNotFound();
  return stream;
}
