import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import { formatBytes, NAMES_PER_PAGE, useKeyNamePages, useVisibleRows, type RowFacts, type ScopeAddress } from '../api/keys';
import { useTestRunKeys } from '../store';
import { relativeTime } from './key-paths';
import { splitAtMatch } from './selection';

const ROW_HEIGHT = 30;
/** Read the next page of names this many rows before the list reaches it. */
const LOAD_AHEAD_ROWS = 200;

export interface KeyListProps {
  address: ScopeAddress;
  /** The first page of names (kept from the previous filter while a new one loads); `total` rows in all. */
  firstPage: readonly string[];
  total: number;
  filter: string;
  selection: ReadonlySet<string>;
  openedKey: string | null;
  onOpen(key: string): void;
  /** `index` is the row's position in the list, for shift-click ranges. */
  onToggle(key: string, index: number, extendRange: boolean): void;
}

/** The pages of names the rows `first` to `last` need, and the next one when it is close. */
export function pagesInView(first: number, last: number, total: number): number[] {
  if (last < first || total === 0) return [];
  const end = Math.min(total - 1, last + LOAD_AHEAD_ROWS);
  const pages: number[] = [];
  for (let page = Math.floor(first / NAMES_PER_PAGE); page <= Math.floor(end / NAMES_PER_PAGE); page++) pages.push(page);
  return pages;
}

/**
 * The virtualised list: `total` rows tall from the first page, the pages of names in view read
 * as it scrolls, and each visible row's type, size and age read (decrypted) only once it is in
 * view.
 */
export function KeyList({ address, firstPage, total, filter, selection, openedKey, onOpen, onToggle }: KeyListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? -1;
  const pages = useKeyNamePages(address, filter, pagesInView(first, last, total));
  const nameAt = (index: number): string | undefined => {
    const page = Math.floor(index / NAMES_PER_PAGE);
    return (page === 0 ? (pages.get(0) ?? firstPage) : pages.get(page))?.[index - page * NAMES_PER_PAGE];
  };
  const facts = useVisibleRows(address, nameAt, first, last);
  // Keys the shown test run would change (not applied yet): their stored values are not the run's.
  const testRunKeys = useTestRunKeys(address.scope, address.scopeKey);
  const now = Date.now();
  return (
    <>
      <div className="key-list__header" aria-hidden="true">
        <span />
        <span>Key</span>
        <span>Type</span>
        <span>Size</span>
        <span>Updated</span>
      </div>
      <div className="key-list" ref={scroller}>
        <div role="list" aria-label="Keys" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const name = nameAt(item.index);
            const style = {
              position: 'absolute',
              top: 0,
              left: 0,
              right: 0,
              height: ROW_HEIGHT,
              transform: `translateY(${item.start}px)`,
            } as const;
            if (name === undefined) {
              return (
                <div key={`pending-${item.index}`} role="listitem" className="key-row key-row--pending" style={style} aria-busy="true" />
              );
            }
            const selected = selection.has(name);
            return (
              <div
                key={name}
                role="listitem"
                className={`key-row${name === openedKey ? ' key-row--opened' : ''}${selected ? ' key-row--selected' : ''}${testRunKeys.has(name) ? ' key-row--test-run' : ''}`}
                style={style}
                data-key={name}
                data-test-run={testRunKeys.has(name) || undefined}
                title={testRunKeys.has(name) ? 'The shown test run changes this key (not applied)' : undefined}
              >
                <input
                  type="checkbox"
                  className="key-row__check"
                  aria-label={`Select ${name}`}
                  checked={selected}
                  // The click carries shiftKey; onChange follows it with the checked state React keeps.
                  onClick={(e) => onToggle(name, item.index, e.shiftKey)}
                  onChange={() => undefined}
                />
                <button type="button" className="key-row__button" onClick={() => onOpen(name)} title={name}>
                  <KeyName name={name} filter={filter} />
                  <RowDetails facts={facts.get(name)} now={now} />
                </button>
              </div>
            );
          })}
        </div>
      </div>
    </>
  );
}

function KeyName({ name, filter }: { name: string; filter: string }) {
  const parts = splitAtMatch(name, filter);
  if (!parts) return <span className="key-row__key">{name}</span>;
  return (
    <span className="key-row__key">
      {parts.before}
      <mark>{parts.match}</mark>
      {parts.after}
    </span>
  );
}

function RowDetails({ facts, now }: { facts: RowFacts | undefined; now: number }) {
  if (!facts) {
    return (
      <>
        <span className="badge badge--pending" aria-hidden="true">
          …
        </span>
        <span className="key-row__size" />
        <span className="key-row__time" />
      </>
    );
  }
  return (
    <>
      <span className={`badge badge--${facts.valueType}`}>{facts.valueType}</span>
      <span className="key-row__size">{formatBytes(facts.bytes)}</span>
      <span className="key-row__time" title={facts.updatedAt}>
        {relativeTime(facts.updatedAt, now)}
      </span>
    </>
  );
}
