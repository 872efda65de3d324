import type { OperationHandler } from "../operation.ts";

export const logsOperations: Record<string, OperationHandler> = {};
