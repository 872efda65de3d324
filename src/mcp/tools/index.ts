import type { ToolDefinition } from "../tool.ts";
import { compareRefsTool } from "./compare-refs.ts";
import { getCommitTool } from "./get-commit.ts";
import { getFileContentsTool } from "./get-file-contents.ts";
import { getRepositoryOverviewTool } from "./get-repository-overview.ts";
import { getRepositoryTreeTool } from "./get-repository-tree.ts";
import { listBranchesTool } from "./list-branches.ts";
import { listCommitsTool } from "./list-commits.ts";
import { listRepositoriesTool } from "./list-repositories.ts";
import { searchCodeTool } from "./search-code.ts";

/** The nine repository tools of DESIGN.md "Tools", in the order tools/list shows them. */
export const REPOSITORY_TOOLS: ReadonlyArray<ToolDefinition> = Object.freeze([
  listRepositoriesTool,
  getFileContentsTool,
  getRepositoryTreeTool,
  listBranchesTool,
  listCommitsTool,
  getCommitTool,
  searchCodeTool,
  getRepositoryOverviewTool,
  compareRefsTool,
]);
