export type QueryParams = Record<string, string | number | undefined>;

/** A query string without empty values and without page=1, so the first page has one address. */
export function queryString(params: QueryParams): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '' && !(k === 'page' && v === 1)) {
      qs.set(k, String(v));
    }
  }
  const s = qs.toString();
  return s ? `?${s}` : '';
}

interface PaginationProps {
  base: string;
  params: QueryParams;
  page: number;
  hasNext: boolean;
  label?: string;
  /** The links' words, for lists whose order names them better ("← Newer" / "Older →"). */
  prevLabel?: string;
  nextLabel?: string;
}

/** Previous / page N / next links that keep the list's filters. */
export function Pagination({
  base,
  params,
  page,
  hasNext,
  label,
  prevLabel = '← Previous',
  nextLabel = 'Next →',
}: PaginationProps) {
  if (page === 1 && !hasNext) {
    return null;
  }
  return (
    <nav class="pagination" aria-label="Pages">
      {page > 1 ? (
        <a class="button" rel="prev" href={`${base}${queryString({ ...params, page: page - 1 })}`}>
          {prevLabel}
        </a>
      ) : (
        <span />
      )}
      <span class="muted">{label ?? `Page ${page}`}</span>
      {hasNext ? (
        <a class="button" rel="next" href={`${base}${queryString({ ...params, page: page + 1 })}`}>
          {nextLabel}
        </a>
      ) : (
        <span />
      )}
    </nav>
  );
}
