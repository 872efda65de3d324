/** GitHub's page/per_page parameters and the `Link` header that carries the next pages. */
import type { EmulatorContext } from "./context.ts";
import { validationFailed } from "./errors.ts";

export interface PageRequest {
  page: number;
  perPage: number;
  offset: number;
}

/** Reads `page` (default 1) and `per_page` (default 30, at most 100, as GitHub caps it). */
export function readPage(c: EmulatorContext, defaultPerPage = 30): PageRequest {
  const perPageRaw = c.req.query("per_page");
  const pageRaw = c.req.query("page");
  const perPage = Math.min(
    100,
    Math.max(1, perPageRaw ? Number.parseInt(perPageRaw, 10) || defaultPerPage : defaultPerPage),
  );
  const page = Math.max(1, pageRaw ? Number.parseInt(pageRaw, 10) || 1 : 1);
  if (page * perPage > 1_000_000_000) throw validationFailed("Pagination is too deep.");
  return { page, perPage, offset: (page - 1) * perPage };
}

/** Builds a `Link` header for this request's URL; `lastPage` undefined when the total is unknown. */
export function linkHeader(
  c: EmulatorContext,
  page: PageRequest,
  options: { hasNext: boolean; lastPage?: number },
): string | undefined {
  const url = new URL(c.req.url);
  const base = c.get("base");
  const at = (n: number) => {
    url.searchParams.set("page", String(n));
    if (!url.searchParams.has("per_page") && page.perPage !== 30)
      url.searchParams.set("per_page", String(page.perPage));
    return `<${base}${url.pathname}${url.search}>`;
  };
  const parts: string[] = [];
  if (page.page > 1) parts.push(`${at(page.page - 1)}; rel="prev"`);
  if (options.hasNext) parts.push(`${at(page.page + 1)}; rel="next"`);
  if (options.lastPage !== undefined && page.page < options.lastPage)
    parts.push(`${at(options.lastPage)}; rel="last"`);
  if (page.page > 1) parts.push(`${at(1)}; rel="first"`);
  return parts.length > 0 ? parts.join(", ") : undefined;
}

/** Slices an in-memory list for a page and sets the `Link` header. */
export function paginate<T>(c: EmulatorContext, items: T[], defaultPerPage = 30): T[] {
  const page = readPage(c, defaultPerPage);
  const slice = items.slice(page.offset, page.offset + page.perPage);
  const lastPage = Math.max(1, Math.ceil(items.length / page.perPage));
  const link = linkHeader(c, page, { hasNext: page.offset + page.perPage < items.length, lastPage });
  if (link) c.header("link", link);
  return slice;
}
