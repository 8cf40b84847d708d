/** Pure helpers of the keys list: counts, the filter's match. */

/** "1 key", "100,000 keys". */
export function countLabel(count: number): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? 'key' : 'keys'}`;
}

/** A key split around the first case-insensitive occurrence of `filter`, for highlighting. */
export function splitAtMatch(name: string, filter: string): { before: string; match: string; after: string } | null {
  if (filter === '') return null;
  const at = name.toLowerCase().indexOf(filter.toLowerCase());
  if (at < 0) return null;
  return { before: name.slice(0, at), match: name.slice(at, at + filter.length), after: name.slice(at + filter.length) };
}
