/**
 * What a key rotation of imported key material needs besides CreateKey and import: UpdateAlias (point the alias
 * at the new key), ListAliases, and ScheduleKeyDeletion / CancelKeyDeletion (retire the old key after a waiting
 * period of 7 to 30 days, during which it can no longer be used).
 */
import type { RequestInput } from "../input.ts";
import type { OperationContext } from "../operation.ts";
import { AwsServiceError, epochSeconds } from "../protocol.ts";
import { aliasArn, resolveKey } from "./model.ts";

const KEY_ID_RULE = { min: 1, max: 2048 };
const DAY_MS = 24 * 60 * 60 * 1000;

/** `UpdateAlias`: the alias must exist; the new target must have the same key usage and spec family. */
export function updateAlias(input: RequestInput, context: OperationContext): undefined {
  const aliasName = input.string("AliasName", { min: 1, max: 256 });
  const target = input.string("TargetKeyId", KEY_ID_RULE);
  const kms = context.store.state.kms;
  const alias = kms.aliases[aliasName];
  if (!alias) {
    throw new AwsServiceError("NotFoundException", `Alias ${aliasArn(context, aliasName)} is not found.`);
  }
  if (target.startsWith("alias/") || target.includes(":alias/")) {
    throw new AwsServiceError("ValidationException", "Aliases must refer to keys. Not aliases");
  }
  const current = kms.keys[alias.targetKeyId];
  const next = resolveKey(context, target, false);
  if (next.keyState === "PendingDeletion") {
    throw new AwsServiceError("KMSInvalidStateException", `${next.arn} is pending deletion.`);
  }
  if (current && (current.keyUsage !== next.keyUsage || current.keySpec !== next.keySpec)) {
    throw new AwsServiceError(
      "ValidationException",
      `Alias ${aliasName} points to a ${current.keySpec} ${current.keyUsage} key; the new target must be the same type.`,
    );
  }
  alias.targetKeyId = next.keyId;
  context.changed();
  return undefined;
}

/** `ListAliases`, optionally for one key. */
export function listAliases(input: RequestInput, context: OperationContext): unknown {
  const keyIdParam = input.optionalString("KeyId", KEY_ID_RULE);
  const keyId = keyIdParam === undefined ? undefined : resolveKey(context, keyIdParam, false).keyId;
  const aliases = Object.values(context.store.state.kms.aliases)
    .filter((a) => keyId === undefined || a.targetKeyId === keyId)
    .map((a) => ({
      AliasName: a.aliasName,
      AliasArn: a.aliasArn,
      TargetKeyId: a.targetKeyId,
      CreationDate: epochSeconds(a.createdAt),
    }));
  return { Aliases: aliases, Truncated: false };
}

/** `ScheduleKeyDeletion`: the key becomes PendingDeletion and unusable; `PendingWindowInDays` 7–30, default 30. */
export function scheduleKeyDeletion(input: RequestInput, context: OperationContext): unknown {
  const key = resolveKey(context, input.string("KeyId", KEY_ID_RULE));
  const days = input.optionalNumber("PendingWindowInDays", { min: 7, max: 30 }) ?? 30;
  if (key.keyState === "PendingDeletion") {
    throw new AwsServiceError("KMSInvalidStateException", `${key.arn} is pending deletion.`);
  }
  key.keyState = "PendingDeletion";
  key.enabled = false;
  key.deletionDate = context.now() + days * DAY_MS;
  key.pendingWindowInDays = days;
  context.changed();
  return {
    KeyId: key.arn,
    DeletionDate: epochSeconds(key.deletionDate),
    KeyState: "PendingDeletion",
    PendingWindowInDays: days,
  };
}

/** `CancelKeyDeletion`: back to Disabled, as KMS does (the owner enables it again on purpose). */
export function cancelKeyDeletion(input: RequestInput, context: OperationContext): unknown {
  const key = resolveKey(context, input.string("KeyId", KEY_ID_RULE));
  if (key.keyState !== "PendingDeletion") {
    throw new AwsServiceError("KMSInvalidStateException", `${key.arn} is not pending deletion.`);
  }
  key.keyState = "Disabled";
  delete key.deletionDate;
  delete key.pendingWindowInDays;
  context.changed();
  return { KeyId: key.arn };
}
