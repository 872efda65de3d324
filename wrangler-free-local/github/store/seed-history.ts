import { expandTemplate, materialize, type SeedFile } from "./seed-content.ts";
import type { RepoSeed, SeedCommit, SeedFileContent, SeedPerson } from "./seed-schema.ts";

type Tree = Map<string, SeedFile>;

interface CommitNode {
  mark: number;
  parents: number[];
  tree: Tree;
  time: number;
}

/** What replaying a seed produced: the `git fast-import` stream and a summary of the refs. */
export interface SeedReplay {
  stream: Buffer;
  branches: Map<string, number>;
  tags: string[];
  commitCount: number;
  /** Latest commit time (ms since epoch), used as pushed_at. */
  lastCommitTime: number;
}

/** A step of the seed history could not be replayed (unknown branch, nothing to merge, ...). */
export class SeedReplayError extends Error {
  constructor(
    readonly step: number,
    message: string,
  ) {
    super(`history[${step}]: ${message}`);
    this.name = "SeedReplayError";
  }
}

function parseDuration(text: string): number {
  const amount = Number(text.slice(0, -1));
  const unit = text.slice(-1);
  const factor = unit === "s" ? 1000 : unit === "m" ? 60_000 : unit === "h" ? 3_600_000 : 86_400_000;
  return amount * factor;
}

function sameFile(a: SeedFile | undefined, b: SeedFile | undefined): boolean {
  if (!a || !b) return a === b;
  return a.mode === b.mode && a.data.equals(b.data);
}

/** Replays a seed's history in memory and renders it as a `git fast-import` stream. */
export function replaySeed(seed: RepoSeed): SeedReplay {
  const chunks: Buffer[] = [];
  const out = (text: string) => chunks.push(Buffer.from(text, "utf8"));
  const data = (bytes: Buffer) => {
    out(`data ${bytes.length}\n`);
    chunks.push(bytes);
    out("\n");
  };
  const person = (kind: string, who: SeedPerson, time: number) =>
    out(`${kind} ${who.name} <${who.email}> ${Math.floor(time / 1000)} +0000\n`);

  const nodes = new Map<number, CommitNode>();
  const branches = new Map<string, number>();
  const labels = new Map<string, number>();
  const tags = new Map<string, number>();
  let nextMark = 1;
  let clock = Date.parse(seed.createdAt);
  const defaultStep = parseDuration(seed.clock.step);
  let lastCommitTime = clock;
  let step = 0;

  const fail = (message: string): never => {
    throw new SeedReplayError(step, message);
  };
  const resolveTarget = (name: string): number =>
    branches.get(name) ??
    tags.get(name) ??
    labels.get(name) ??
    fail(`unknown branch, tag or commit id "${name}"`);

  const emitCommit = (options: {
    branch: string;
    parents: number[];
    tree: Tree;
    message: string;
    author: SeedPerson;
    committer: SeedPerson;
    time: number;
    id: string | undefined;
  }): number => {
    const mark = nextMark++;
    const parentTree: Tree =
      options.parents[0] !== undefined ? (nodes.get(options.parents[0])?.tree ?? new Map()) : new Map();
    out(`commit refs/heads/${options.branch}\nmark :${mark}\n`);
    person("author", options.author, options.time);
    person("committer", options.committer, options.time);
    data(Buffer.from(options.message.endsWith("\n") ? options.message : `${options.message}\n`, "utf8"));
    const [first, ...others] = options.parents;
    if (first !== undefined) out(`from :${first}\n`);
    for (const other of others) out(`merge :${other}\n`);
    for (const filePath of [...parentTree.keys()].sort()) {
      if (!options.tree.has(filePath)) out(`D ${filePath}\n`);
    }
    for (const [filePath, file] of [...options.tree.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (sameFile(parentTree.get(filePath), file)) continue;
      if (file.mode === "160000") {
        out(`M 160000 ${file.data.toString("ascii")} ${filePath}\n`);
      } else {
        out(`M ${file.mode} inline ${filePath}\n`);
        data(file.data);
      }
    }
    out("\n");
    nodes.set(mark, { mark, parents: options.parents, tree: options.tree, time: options.time });
    branches.set(options.branch, mark);
    if (options.id !== undefined) {
      if (labels.has(options.id)) fail(`commit id "${options.id}" is used twice`);
      labels.set(options.id, mark);
    }
    lastCommitTime = Math.max(lastCommitTime, options.time);
    return mark;
  };

  const applyCommit = (
    commit: SeedCommit,
    n: number | undefined,
    files: Record<string, SeedFileContent>,
    every?: number,
  ) => {
    const branch = commit.branch ?? seed.defaultBranch;
    if (commit.orphan && branches.has(branch)) fail(`orphan branch "${branch}" already exists`);
    const parent = branches.get(branch);
    if (parent === undefined && !commit.orphan && branches.size > 0 && branch !== seed.defaultBranch) {
      fail(`branch "${branch}" does not exist yet; create it with a branch step (or mark the commit orphan)`);
    }
    const tree: Tree = new Map(parent !== undefined ? nodes.get(parent)?.tree : undefined);
    for (const [from, to] of Object.entries(commit.move ?? {})) {
      const file = tree.get(from) ?? fail(`cannot move missing file ${from}`);
      tree.delete(from);
      tree.set(to, file);
    }
    for (const filePath of commit.delete ?? []) {
      if (!tree.delete(filePath)) fail(`cannot delete missing file ${filePath}`);
    }
    for (const [rawPath, spec] of Object.entries(files)) {
      const filePath = expandTemplate(rawPath, n);
      for (const existing of tree.keys()) {
        if (existing.startsWith(`${filePath}/`) || filePath.startsWith(`${existing}/`)) {
          fail(`${filePath} conflicts with existing path ${existing}`);
        }
      }
      tree.set(filePath, materialize(spec, tree.get(filePath), n));
    }
    clock = commit.date ? Date.parse(commit.date) : clock + (every ?? defaultStep);
    const author = commit.author ?? seed.author;
    emitCommit({
      branch,
      parents: parent !== undefined ? [parent] : [],
      tree,
      message: expandTemplate(commit.message, n),
      author,
      committer: commit.committer ?? author,
      time: clock,
      id: commit.id,
    });
  };

  const ancestors = (mark: number): Set<number> => {
    const seen = new Set<number>();
    const stack = [mark];
    while (stack.length) {
      const current = stack.pop() as number;
      if (seen.has(current)) continue;
      seen.add(current);
      stack.push(...(nodes.get(current)?.parents ?? []));
    }
    return seen;
  };

  for (const entry of seed.history) {
    if ("commit" in entry) {
      applyCommit(entry.commit, undefined, entry.commit.files ?? {});
    } else if ("repeat" in entry) {
      const r = entry.repeat;
      const messages = Array.isArray(r.message) ? r.message : [r.message];
      const authors =
        r.author === undefined ? [seed.author] : Array.isArray(r.author) ? r.author : [r.author];
      for (let n = 1; n <= r.count; n++) {
        applyCommit(
          {
            branch: r.branch,
            message: messages[(n - 1) % messages.length] as string,
            author: authors[(n - 1) % authors.length],
          },
          n,
          r.files,
          r.every ? parseDuration(r.every) : undefined,
        );
      }
    } else if ("branch" in entry) {
      if (branches.has(entry.branch.name)) fail(`branch "${entry.branch.name}" already exists`);
      const mark = resolveTarget(entry.branch.from);
      branches.set(entry.branch.name, mark);
      out(`reset refs/heads/${entry.branch.name}\nfrom :${mark}\n\n`);
    } else if ("tag" in entry) {
      const t = entry.tag;
      if (tags.has(t.name)) fail(`tag "${t.name}" already exists`);
      const mark = resolveTarget(t.target);
      tags.set(t.name, mark);
      if (t.message !== undefined) {
        out(`tag ${t.name}\nfrom :${mark}\n`);
        person("tagger", t.tagger ?? seed.author, t.date ? Date.parse(t.date) : clock);
        data(Buffer.from(t.message.endsWith("\n") ? t.message : `${t.message}\n`, "utf8"));
      } else {
        out(`reset refs/tags/${t.name}\nfrom :${mark}\n\n`);
      }
    } else {
      const m = entry.merge;
      const into = branches.get(m.into) ?? fail(`unknown branch "${m.into}"`);
      const from = branches.get(m.from) ?? fail(`unknown branch "${m.from}"`);
      const intoAncestors = ancestors(into);
      if (intoAncestors.has(from)) fail(`${m.from} is already merged into ${m.into}`);
      const fromAncestors = [...ancestors(from)].sort((a, b) => b - a);
      const base = fromAncestors.find((mark) => intoAncestors.has(mark));
      const baseTree =
        base !== undefined ? (nodes.get(base)?.tree ?? new Map()) : new Map<string, SeedFile>();
      const fromTree = nodes.get(from)?.tree ?? new Map<string, SeedFile>();
      const tree: Tree = new Map(nodes.get(into)?.tree);
      // File-level three-way merge: whatever the merged branch changed since the base wins.
      for (const filePath of new Set([...baseTree.keys(), ...fromTree.keys()])) {
        const theirs = fromTree.get(filePath);
        if (sameFile(baseTree.get(filePath), theirs)) continue;
        if (theirs) tree.set(filePath, theirs);
        else tree.delete(filePath);
      }
      clock = m.date ? Date.parse(m.date) : clock + defaultStep;
      const author = m.author ?? seed.author;
      emitCommit({
        branch: m.into,
        parents: [into, from],
        tree,
        message: m.message ?? `Merge branch '${m.from}' into ${m.into}`,
        author,
        committer: author,
        time: clock,
        id: m.id,
      });
    }
    step++;
  }
  if (!branches.has(seed.defaultBranch)) {
    step = seed.history.length - 1;
    fail(`the default branch "${seed.defaultBranch}" has no commits`);
  }
  out("done\n");
  return {
    stream: Buffer.concat(chunks),
    branches,
    tags: [...tags.keys()],
    commitCount: nodes.size,
    lastCommitTime,
  };
}
