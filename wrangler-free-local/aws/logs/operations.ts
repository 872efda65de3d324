import type { RequestInput } from "../input.ts";
import type { OperationContext, OperationHandler } from "../operation.ts";
import { AwsServiceError } from "../protocol.ts";
import { putLogEvents } from "./put-log-events.ts";
import { filterLogEvents, getLogEvents } from "./read-events.ts";
import { findGroup, GROUP_NAME_RULE, logGroupArn, STREAM_NAME_RULE } from "./resources.ts";

function createLogGroup(input: RequestInput, context: OperationContext): undefined {
  const name = input.string("logGroupName", GROUP_NAME_RULE);
  input.optionalString("kmsKeyId", { max: 256 });
  const key = `${context.region}/${name}`;
  const groups = context.store.state.logs.groups;
  if (groups[key]) {
    throw new AwsServiceError("ResourceAlreadyExistsException", "The specified log group already exists");
  }
  groups[key] = {
    name,
    arn: `${logGroupArn(context, name)}:*`,
    accountId: context.accountId,
    region: context.region,
    createdAt: context.now(),
    streams: {},
  };
  context.changed();
  return undefined;
}

function createLogStream(input: RequestInput, context: OperationContext): undefined {
  const groupName = input.string("logGroupName", GROUP_NAME_RULE);
  const streamName = input.string("logStreamName", STREAM_NAME_RULE);
  const group = findGroup(context, groupName);
  if (group.streams[streamName]) {
    throw new AwsServiceError("ResourceAlreadyExistsException", "The specified log stream already exists");
  }
  group.streams[streamName] = {
    name: streamName,
    arn: `${logGroupArn(context, groupName)}:log-stream:${streamName}`,
    createdAt: context.now(),
    events: [],
    uploadSequence: 0,
  };
  context.changed();
  return undefined;
}

/** The retention periods (days) PutRetentionPolicy accepts, as the CloudWatch Logs API model lists them. */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** PutRetentionPolicy: from then on PutLogEvents reports events older than the period as expired (not stored). */
function putRetentionPolicy(input: RequestInput, context: OperationContext): undefined {
  const groupName = input.string("logGroupName", GROUP_NAME_RULE);
  const days = input.number("retentionInDays");
  if (!RETENTION_DAYS.includes(days)) {
    throw new AwsServiceError(
      "InvalidParameterException",
      `1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(", ")}]`,
    );
  }
  findGroup(context, groupName).retentionInDays = days;
  context.changed();
  return undefined;
}

export const logsOperations: Record<string, OperationHandler> = {
  CreateLogGroup: createLogGroup,
  PutRetentionPolicy: putRetentionPolicy,
  CreateLogStream: createLogStream,
  PutLogEvents: putLogEvents,
  GetLogEvents: getLogEvents,
  FilterLogEvents: filterLogEvents,
};
