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

export const logsOperations: Record<string, OperationHandler> = {
  CreateLogGroup: createLogGroup,
  CreateLogStream: createLogStream,
  PutLogEvents: putLogEvents,
  GetLogEvents: getLogEvents,
  FilterLogEvents: filterLogEvents,
};
