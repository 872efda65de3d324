import path from "node:path";

// A small slice of github-linguist: only "programming" and "markup" languages count towards a
// repository's language bar, so data and prose formats (JSON, YAML, Markdown, text) are absent.
const BY_EXTENSION: Record<string, string> = {
  ".ts": "TypeScript",
  ".mts": "TypeScript",
  ".cts": "TypeScript",
  ".tsx": "TSX",
  ".js": "JavaScript",
  ".mjs": "JavaScript",
  ".cjs": "JavaScript",
  ".jsx": "JavaScript",
  ".go": "Go",
  ".py": "Python",
  ".rb": "Ruby",
  ".rs": "Rust",
  ".java": "Java",
  ".kt": "Kotlin",
  ".swift": "Swift",
  ".c": "C",
  ".h": "C",
  ".cc": "C++",
  ".cpp": "C++",
  ".hpp": "C++",
  ".cs": "C#",
  ".php": "PHP",
  ".sh": "Shell",
  ".bash": "Shell",
  ".sql": "PLpgSQL",
  ".css": "CSS",
  ".scss": "SCSS",
  ".html": "HTML",
  ".vue": "Vue",
  ".proto": "Protocol Buffer",
  ".tf": "HCL",
  ".hcl": "HCL",
  ".lua": "Lua",
};

const BY_FILENAME: Record<string, string> = {
  Dockerfile: "Dockerfile",
  Makefile: "Makefile",
  GNUmakefile: "Makefile",
};

// Linguist's vendored/generated heuristics, reduced to the directory names that matter here.
const VENDORED = /(^|\/)(node_modules|vendor|third_party|dist|build|\.yarn)\/|\.min\.(js|css)$/;

/** The linguist language of a file, judged by its name; undefined for data, prose and unknown files. */
export function languageOf(filePath: string): string | undefined {
  const base = path.posix.basename(filePath);
  return BY_FILENAME[base] ?? BY_EXTENSION[path.posix.extname(base).toLowerCase()];
}

/** True for paths linguist would treat as vendored or generated (excluded from language stats). */
export function isVendored(filePath: string): boolean {
  return VENDORED.test(filePath);
}

/** True when `language` names the same linguist language as `name`, ignoring case. */
export function languageMatches(filePath: string, language: string): boolean {
  return languageOf(filePath)?.toLowerCase() === language.toLowerCase();
}
