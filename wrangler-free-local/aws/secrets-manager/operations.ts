import type { OperationHandler } from "../operation.ts";

export const secretsManagerOperations: Record<string, OperationHandler> = {};
