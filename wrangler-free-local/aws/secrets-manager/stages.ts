import type { StoredSecret } from "./model.ts";

/**
 * Attaches a staging label to one version, taking it from whichever version had it. Moving AWSCURRENT also moves
 * AWSPREVIOUS to the version that was current, as Secrets Manager does automatically.
 */
export function moveStage(secret: StoredSecret, stage: string, toVersionId: string): void {
  const target = secret.versions[toVersionId];
  if (!target) throw new Error(`unknown version ${toVersionId}`);
  const previousHolder = Object.values(secret.versions).find((v) => v.stages.includes(stage));
  if (previousHolder === target) return;
  if (previousHolder) previousHolder.stages = previousHolder.stages.filter((s) => s !== stage);
  target.stages.push(stage);
  if (stage === "AWSCURRENT" && previousHolder) {
    for (const version of Object.values(secret.versions)) {
      version.stages = version.stages.filter((s) => s !== "AWSPREVIOUS");
    }
    previousHolder.stages.push("AWSPREVIOUS");
  }
}

/** VersionIdsToStages of DescribeSecret: only versions that carry a label (unlabelled ones are deprecated). */
export function stagesByVersion(secret: StoredSecret): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const version of Object.values(secret.versions)) {
    if (version.stages.length > 0) result[version.versionId] = [...version.stages];
  }
  return result;
}
