/**
 * Looks for credentials where none may be: installation tokens (`ghs_…`), JWTs (the callers' access tokens, App
 * JWTs) and PEM private keys, in the broker's log, every file of the audit directory (trail, spool, rejected
 * events) and the CloudWatch audit events.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

const SECRET_PATTERNS: { name: string; pattern: RegExp }[] = [
  // Classic (`ghs_` + 36 base62) and the newer stateless shape (`ghs_<appId>_<JWT>`).
  { name: "installation token", pattern: /ghs_[A-Za-z0-9_]{16,}/g },
  { name: "JWT", pattern: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g },
  { name: "PEM key", pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/g },
];

export interface SecretFinding {
  where: string;
  kind: string;
}

/** The secrets found in one text, named by kind (never the value). */
export function findSecrets(where: string, text: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const { name, pattern } of SECRET_PATTERNS) {
    for (const _ of text.matchAll(pattern)) findings.push({ where, kind: name });
  }
  return findings;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Scans files (directories recursively) and extra named texts. */
export async function scanForSecrets(
  paths: { files: string[]; dirs: string[] },
  texts: { where: string; text: string }[] = [],
): Promise<{ scannedBytes: number; findings: SecretFinding[] }> {
  const files = [...paths.files, ...(await Promise.all(paths.dirs.map(filesUnder))).flat()];
  let scannedBytes = 0;
  const findings: SecretFinding[] = [];
  for (const file of files) {
    const text = await readFile(file, "utf8").catch(() => "");
    scannedBytes += Buffer.byteLength(text);
    findings.push(...findSecrets(file, text));
  }
  for (const { where, text } of texts) {
    scannedBytes += Buffer.byteLength(text);
    findings.push(...findSecrets(where, text));
  }
  return { scannedBytes, findings };
}
