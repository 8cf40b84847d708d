import { useEffect, useRef } from 'react';
import type { JsonValue } from '../../kv/types';
import { useDeletedKeys, useKeyHistory, useRestoreVersion } from '../api/key-history';
import type { ScopeAddress } from '../api/keys';
import { toast } from '../store';
import { relativeTime } from './key-paths';

/** A value on one line, cut to fit a row: `{"n":1,"tags":["a",…` */
export function valuePreview(value: JsonValue, max = 80): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The pane's scroll position that shows the section's end, or its start when it is taller than the pane. */
function historyScrollTop(element: HTMLElement, pane: HTMLElement): number {
  const top = element.getBoundingClientRect().top - pane.getBoundingClientRect().top + pane.scrollTop;
  return Math.min(top - 8, top + element.offsetHeight - pane.clientHeight);
}

/** The versions of a key that later writes replaced, newest first, each with Restore. */
export function KeyHistory({ address, keyName, onClose }: { address: ScopeAddress; keyName: string; onClose(): void }) {
  const history = useKeyHistory(address, keyName);
  const section = useRef<HTMLElement>(null);
  // Opened under the value: scroll the key's pane (only it: scrollIntoView would also move the
  // app's own overflow-hidden frame) so as much of the history shows as fits.
  useEffect(() => {
    const element = section.current;
    const pane = element?.closest<HTMLElement>('.key-details');
    if (element && pane) pane.scrollTop = Math.max(pane.scrollTop, historyScrollTop(element, pane));
  }, [history.isPending]);
  const restore = useRestoreVersion();
  const now = Date.now();
  return (
    <section ref={section} className="key-history" role="region" aria-label="History">
      <div className="key-history__head">
        <span className="section-title">History</span>
        <span className="muted" title="The store keeps the last 20 versions of each key">
          earlier versions, newest first
        </span>
        <button type="button" className="link key-history__close" onClick={onClose}>
          Hide
        </button>
      </div>
      {history.isPending ? (
        <div className="muted">Reading the history…</div>
      ) : history.isError ? (
        <div role="alert" className="key-transfer__error">
          Could not read the history: {history.error.message}
        </div>
      ) : history.data.length === 0 ? (
        <div className="muted">No earlier versions: this key has been written once.</div>
      ) : (
        <ol className="key-history__list" aria-label="Versions">
          {history.data.map((version) => (
            <li key={`${version.version}-${version.replacedAt}`} className="key-history__item">
              <div className="key-history__meta">
                <strong>v{version.version}</strong>
                <span className={`badge badge--${version.valueType}`}>{version.valueType}</span>
                <span className="muted" title={version.updatedAt}>
                  written {relativeTime(version.updatedAt, now)}
                </span>
                {version.deleted && (
                  <span className="badge badge--deleted" title={`Deleted ${version.replacedAt}`}>
                    deleted {relativeTime(version.replacedAt, now)}
                  </span>
                )}
              </div>
              <code className="key-history__value" title={valuePreview(version.value, 2000)}>
                {valuePreview(version.value)}
              </code>
              <button
                type="button"
                className="btn btn--small"
                title={`Write v${version.version}'s value back as the key's next version`}
                disabled={restore.isPending}
                onClick={() =>
                  restore.mutate(
                    { ...address, key: keyName, version: version.version },
                    {
                      onSuccess: (result) =>
                        toast('success', `Restored ${keyName} to the value of v${version.version} (now v${result.entry.version}).`),
                      onError: (error) => toast('error', `Could not restore v${version.version} of ${keyName}: ${error.message}`),
                    },
                  )
                }
              >
                Restore
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** The scope's recently deleted keys, most recent first, each with Restore. */
export function RecentlyDeleted({ address }: { address: ScopeAddress }) {
  const deleted = useDeletedKeys(address, true);
  const restore = useRestoreVersion();
  const now = Date.now();
  return (
    <section className="key-history key-history--deleted" role="region" aria-label="Recently deleted">
      <div className="key-history__head">
        <span className="section-title">Recently deleted</span>
        <span className="muted">in {address.scope}, most recent first; Restore brings a key back with the value it had</span>
      </div>
      {deleted.isPending ? (
        <div className="muted">Reading the deleted keys…</div>
      ) : deleted.isError ? (
        <div role="alert" className="key-transfer__error">
          Could not read the deleted keys: {deleted.error.message}
        </div>
      ) : deleted.data.length === 0 ? (
        <div className="muted">No key of this scope has been deleted (or every deleted key is back).</div>
      ) : (
        <ul className="key-history__list" aria-label="Deleted keys">
          {deleted.data.map((item) => (
            <li key={item.key} className="key-history__item key-history__item--row">
              <code className="key-history__key">{item.key}</code>
              <span className="muted" title={item.deletedAt}>
                v{item.version} · deleted {relativeTime(item.deletedAt, now)}
              </span>
              <button
                type="button"
                className="btn btn--small"
                title={`Bring ${item.key} back with the value it had when it was deleted`}
                disabled={restore.isPending}
                onClick={() =>
                  restore.mutate(
                    { ...address, key: item.key, version: item.version },
                    {
                      onSuccess: () => toast('success', `Restored ${item.key}.`),
                      onError: (error) => toast('error', `Could not restore ${item.key}: ${error.message}`),
                    },
                  )
                }
              >
                Restore
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
