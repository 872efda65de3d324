import { randomInt, randomUUID } from "node:crypto";
import type { RequestInput } from "../input.ts";
import type { OperationContext, OperationHandler } from "../operation.ts";
import { AwsServiceError, epochSeconds } from "../protocol.ts";
import type { StoredSecret, StoredSecretVersion } from "./model.ts";
import { moveStage, stagesByVersion } from "./stages.ts";

const NAME_RULE = { min: 1, max: 512, pattern: /^[a-zA-Z0-9/_+=.@-]+$/ };
const SECRET_ID_RULE = { min: 1, max: 2048 };
const TOKEN_RULE = { min: 32, max: 64 };
const VERSION_ID_RULE = { min: 32, max: 64 };
const STAGE_RULE = { min: 1, max: 256 };
const SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function notFound(): AwsServiceError {
  return new AwsServiceError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
}

/** A secret ARN ends in the name, a hyphen and six random characters, as AWS makes them. */
function secretArn(context: OperationContext, name: string): string {
  let suffix = "";
  for (let i = 0; i < 6; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return `arn:aws:secretsmanager:${context.region}:${context.accountId}:secret:${name}-${suffix}`;
}

/** Finds a secret by name, full ARN or partial ARN (without the random suffix), in the caller's account and region. */
function resolveSecret(context: OperationContext, secretId: string): StoredSecret {
  const secrets = Object.values(context.store.state.secretsManager.secrets).filter(
    (s) => s.region === context.region && s.accountId === context.accountId,
  );
  const found = secretId.startsWith("arn:")
    ? secrets.find((s) => s.arn === secretId || s.arn.slice(0, -7) === secretId)
    : secrets.find((s) => s.name === secretId);
  if (!found) throw notFound();
  return found;
}

/** SecretString or SecretBinary, never both. */
function readValue(input: RequestInput): { secretString?: string; secretBinary?: string } {
  const secretString = input.optionalString("SecretString", { max: 65536 });
  const secretBinary = input.optionalBlob("SecretBinary", { max: 65536 });
  if (secretString !== undefined && secretBinary !== undefined) {
    throw new AwsServiceError(
      "InvalidParameterException",
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  return {
    ...(secretString !== undefined ? { secretString } : {}),
    ...(secretBinary !== undefined ? { secretBinary: secretBinary.toString("base64") } : {}),
  };
}

function sameValue(
  version: StoredSecretVersion,
  value: { secretString?: string; secretBinary?: string },
): boolean {
  return version.secretString === value.secretString && version.secretBinary === value.secretBinary;
}

function createSecret(input: RequestInput, context: OperationContext): unknown {
  const name = input.string("Name", NAME_RULE);
  const token = input.optionalString("ClientRequestToken", TOKEN_RULE) ?? randomUUID();
  const description = input.optionalString("Description", { max: 2048 });
  const kmsKeyId = input.optionalString("KmsKeyId", { max: 2048 });
  const value = readValue(input);
  const tags = input.has("Tags") ? (input.list("Tags") as { Key?: string; Value?: string }[]) : undefined;
  const secrets = context.store.state.secretsManager.secrets;
  if (Object.values(secrets).some((s) => s.name === name && s.region === context.region)) {
    throw new AwsServiceError(
      "ResourceExistsException",
      `The operation failed because the secret ${name} already exists.`,
    );
  }
  const now = context.now();
  const secret: StoredSecret = {
    name,
    arn: secretArn(context, name),
    accountId: context.accountId,
    region: context.region,
    createdAt: now,
    lastChangedAt: now,
    versions: {},
    ...(description !== undefined ? { description } : {}),
    ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
    ...(tags ? { tags } : {}),
  };
  const hasValue = value.secretString !== undefined || value.secretBinary !== undefined;
  if (hasValue) {
    secret.versions[token] = { versionId: token, ...value, createdAt: now, stages: ["AWSCURRENT"] };
  }
  secrets[secret.arn] = secret;
  context.changed();
  return { ARN: secret.arn, Name: name, ...(hasValue ? { VersionId: token } : {}) };
}

function getSecretValue(input: RequestInput, context: OperationContext): unknown {
  const secret = resolveSecret(context, input.string("SecretId", SECRET_ID_RULE));
  const versionId = input.optionalString("VersionId", VERSION_ID_RULE);
  const stage = input.optionalString("VersionStage", STAGE_RULE);
  let version: StoredSecretVersion | undefined;
  if (versionId !== undefined) {
    version = secret.versions[versionId];
    if (!version) {
      throw new AwsServiceError(
        "ResourceNotFoundException",
        `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
      );
    }
    if (stage !== undefined && !version.stages.includes(stage)) {
      throw new AwsServiceError(
        "InvalidRequestException",
        `You provided a VersionStage that is not associated to the provided VersionId.`,
      );
    }
  } else {
    const wanted = stage ?? "AWSCURRENT";
    version = Object.values(secret.versions).find((v) => v.stages.includes(wanted));
    if (!version) {
      throw new AwsServiceError(
        "ResourceNotFoundException",
        `Secrets Manager can't find the specified secret value for staging label: ${wanted}`,
      );
    }
  }
  // AWS records the access date to the day only.
  const today = Math.floor(context.now() / 86_400_000) * 86_400_000;
  if (secret.lastAccessedAt !== today) {
    secret.lastAccessedAt = today;
    context.changed();
  }
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: version.versionId,
    ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
    ...(version.secretBinary !== undefined ? { SecretBinary: version.secretBinary } : {}),
    VersionStages: [...version.stages],
    CreatedDate: epochSeconds(version.createdAt),
  };
}

function putSecretValue(input: RequestInput, context: OperationContext): unknown {
  const secret = resolveSecret(context, input.string("SecretId", SECRET_ID_RULE));
  const token = input.optionalString("ClientRequestToken", TOKEN_RULE) ?? randomUUID();
  const value = readValue(input);
  const stages = input.optionalStringList("VersionStages", { min: 1, max: 20 }) ?? ["AWSCURRENT"];
  if (value.secretString === undefined && value.secretBinary === undefined) {
    throw new AwsServiceError(
      "InvalidRequestException",
      "You must provide either SecretString or SecretBinary.",
    );
  }
  const existing = secret.versions[token];
  if (existing) {
    // A retry with the same token and value is idempotent; anything else would rewrite history.
    if (!sameValue(existing, value)) {
      throw new AwsServiceError(
        "ResourceExistsException",
        "You can't modify an existing version, you can only create a new version.",
      );
    }
    return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: [...existing.stages] };
  }
  const now = context.now();
  const version: StoredSecretVersion = { versionId: token, ...value, createdAt: now, stages: [] };
  secret.versions[token] = version;
  for (const stage of new Set(stages)) moveStage(secret, stage, token);
  secret.lastChangedAt = now;
  context.changed();
  return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: [...version.stages] };
}

function describeSecret(input: RequestInput, context: OperationContext): unknown {
  const secret = resolveSecret(context, input.string("SecretId", SECRET_ID_RULE));
  return {
    ARN: secret.arn,
    Name: secret.name,
    ...(secret.description !== undefined ? { Description: secret.description } : {}),
    ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
    LastChangedDate: epochSeconds(secret.lastChangedAt),
    ...(secret.lastAccessedAt !== undefined ? { LastAccessedDate: epochSeconds(secret.lastAccessedAt) } : {}),
    ...(secret.tags ? { Tags: secret.tags } : {}),
    VersionIdsToStages: stagesByVersion(secret),
    CreatedDate: epochSeconds(secret.createdAt),
  };
}

function updateSecretVersionStage(input: RequestInput, context: OperationContext): unknown {
  const secret = resolveSecret(context, input.string("SecretId", SECRET_ID_RULE));
  const stage = input.string("VersionStage", STAGE_RULE);
  const moveTo = input.optionalString("MoveToVersionId", VERSION_ID_RULE);
  const removeFrom = input.optionalString("RemoveFromVersionId", VERSION_ID_RULE);
  const holder = Object.values(secret.versions).find((v) => v.stages.includes(stage));
  if (moveTo === undefined && removeFrom === undefined) {
    throw new AwsServiceError(
      "InvalidParameterException",
      "You must specify MoveToVersionId, RemoveFromVersionId, or both.",
    );
  }
  if (moveTo !== undefined && !secret.versions[moveTo]) {
    throw new AwsServiceError(
      "ResourceNotFoundException",
      `Secrets Manager can't find the specified secret value for VersionId: ${moveTo}`,
    );
  }
  if (removeFrom !== undefined && holder?.versionId !== removeFrom) {
    throw new AwsServiceError(
      "InvalidParameterException",
      `The staging label ${stage} is not attached to version ${removeFrom}.`,
    );
  }
  if (moveTo !== undefined && holder && holder.versionId !== moveTo && removeFrom === undefined) {
    throw new AwsServiceError(
      "InvalidParameterException",
      `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
  }
  if (moveTo === undefined && stage === "AWSCURRENT") {
    throw new AwsServiceError(
      "InvalidParameterException",
      "You can't remove the staging label AWSCURRENT from a version; move it to another version instead.",
    );
  }
  if (moveTo !== undefined) moveStage(secret, stage, moveTo);
  else if (holder) holder.stages = holder.stages.filter((s) => s !== stage);
  secret.lastChangedAt = context.now();
  context.changed();
  return { ARN: secret.arn, Name: secret.name };
}

export const secretsManagerOperations: Record<string, OperationHandler> = {
  CreateSecret: createSecret,
  GetSecretValue: getSecretValue,
  PutSecretValue: putSecretValue,
  DescribeSecret: describeSecret,
  UpdateSecretVersionStage: updateSecretVersionStage,
};
