import { AwsServiceError } from "./protocol.ts";

/** What the emulator takes from a SigV4 `Authorization` header. */
export interface SigV4Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms/aws4_request, SignedHeaders=..., Signature=...`.
 * The signature itself is NOT verified: the emulator has no secret keys to check it against, and the point is only
 * that unsigned requests are refused as AWS refuses them. A missing header is a MissingAuthenticationTokenException
 * (AWS JSON services answer it with HTTP 400); a malformed one is an IncompleteSignatureException.
 */
export function parseSigV4Authorization(header: string | undefined): SigV4Credential {
  if (!header || header.trim() === "") {
    throw new AwsServiceError("MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  const trimmed = header.trim();
  const space = trimmed.indexOf(" ");
  const algorithm = space < 0 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== "AWS4-HMAC-SHA256") {
    throw new AwsServiceError(
      "IncompleteSignatureException",
      `Unsupported AWS 'algorithm': '${algorithm}'. Only AWS4-HMAC-SHA256 signatures are accepted.`,
    );
  }
  const params = new Map<string, string>();
  for (const part of trimmed.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const required of ["Credential", "SignedHeaders", "Signature"]) {
    if (!params.get(required)) {
      throw new AwsServiceError(
        "IncompleteSignatureException",
        `Authorization header requires '${required}' parameter. Authorization=${algorithm} ...`,
      );
    }
  }
  const scope = (params.get("Credential") ?? "").split("/");
  const [accessKeyId, date, region, service, terminator] = scope;
  if (scope.length !== 5 || !accessKeyId || !date || !region || !service || terminator !== "aws4_request") {
    throw new AwsServiceError(
      "IncompleteSignatureException",
      "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/aws4_request",
    );
  }
  return {
    accessKeyId,
    date,
    region,
    service,
    signedHeaders: (params.get("SignedHeaders") ?? "").split(";"),
  };
}
