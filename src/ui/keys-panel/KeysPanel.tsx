import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, useState } from 'react';
import { jsonByteLength } from '../../kv/operations';
import { SCOPES, type Entry, type Scope } from '../../kv/types';
import { formatBytes, useKeyList, useLiveKeyRefresh, type ScopeAddress } from '../api/keys';
import { useStorage } from '../api/storage';
import { CollapsiblePanel } from '../atoms/CollapsiblePanel';
import { useEditor, useSidePanels } from '../store';
import { KeyDetails } from './KeyDetails';
import { KeyEditor } from './KeyEditor';
import { StorageProblemNotice } from './StorageProblemNotice';
import { relativeTime } from './key-paths';

const ROW_HEIGHT = 30;

const SCOPE_HINTS: Record<Scope, (meta: { id: string; groupId?: string | undefined }) => string> = {
  flow: (meta) => `flow: keys of this blueprint (${meta.id})`,
  flow_group: (meta) => (meta.groupId ? `flow_group: keys shared by the group ${meta.groupId}` : 'flow_group: this blueprint has no group'),
  global: () => 'global: keys of the whole workspace',
};

export function KeysPanel() {
  useLiveKeyRefresh();
  const meta = useEditor((s) => s.meta);
  const storageStatus = useStorage((s) => s.status);
  const [scope, setScope] = useState<Scope>('flow');
  const [prefix, setPrefix] = useState('');
  const [selectedKey, setSelectedKey] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const expanded = useSidePanels((s) => !s.collapsed.keys);
  const toggle = useSidePanels((s) => s.toggle);
  const address: ScopeAddress | null =
    scope === 'flow' ? { scope, scopeKey: meta.id } : scope === 'global' ? { scope, scopeKey: '' } : meta.groupId ? { scope, scopeKey: meta.groupId } : null;
  const list = useKeyList(address, prefix);
  const entries = list.data ?? [];
  const selected = entries.find((e) => e.key === selectedKey) ?? null;

  return (
    <CollapsiblePanel
      title="Stored keys"
      className="keys-panel"
      expanded={expanded}
      onToggle={() => toggle('keys')}
      aside={<span className="panel-title__count">{list.data ? `${entries.length}${entries.length === 1 ? ' key' : ' keys'}` : ''}</span>}
    >
      <div className="keys-panel__controls">
        {/* The labels are the bare scope names so the narrow panel shows them whole; what each
            scope covers is in the titles. */}
        <select aria-label="Scope" value={scope} onChange={(e) => { setScope(e.target.value as Scope); setSelectedKey(null); }} title={SCOPE_HINTS[scope](meta)}>
          {SCOPES.map((value) => <option key={value} value={value} title={SCOPE_HINTS[value](meta)}>{value}</option>)}
        </select>
        <input type="search" aria-label="Filter keys" placeholder="Filter by prefix" value={prefix} onChange={(e) => setPrefix(e.target.value)} />
        <button type="button" className="btn" onClick={() => { setAdding(true); setSelectedKey(null); }} disabled={!address || storageStatus !== 'ready'}>Add key</button>
      </div>
      <div className="keys-panel__body">
        {adding && address ? (
          <KeyEditor address={address} onDone={() => setAdding(false)} />
        ) : selected && address ? (
          <KeyDetails entry={selected} address={address} onClose={() => setSelectedKey(null)} />
        ) : storageStatus === 'unavailable' ? (
          <StorageProblemNotice />
        ) : !address ? (
          <div className="empty-state">
            <div className="empty-state__title">No flow group</div>
            <div className="muted">This blueprint has no group. Set a flow group in the blueprint settings (click the canvas background).</div>
          </div>
        ) : list.isPending ? (
          <div className="empty-state"><div className="spinner" aria-hidden="true" /> <span className="muted">Loading keys…</span></div>
        ) : list.isError ? (
          <div className="empty-state" role="alert">
            <div className="empty-state__title">Could not load keys</div>
            <div className="muted">{list.error.message}</div>
            <button type="button" className="btn" onClick={() => void list.refetch()} disabled={list.isFetching}>{list.isFetching ? 'Retrying…' : 'Retry'}</button>
          </div>
        ) : entries.length === 0 ? (
          <div className="empty-state">
            <div className="empty-state__title">{prefix ? `No keys start with “${prefix}”` : 'No keys in this scope yet'}</div>
            <div className="muted">{prefix ? 'Clear the filter to see every key.' : 'Run the blueprint or add a key.'}</div>
          </div>
        ) : (
          <KeyList entries={entries} selectedKey={selectedKey} onSelect={(key) => { setSelectedKey(key); setAdding(false); }} />
        )}
      </div>
    </CollapsiblePanel>
  );
}

function KeyList({ entries, selectedKey, onSelect }: { entries: Entry[]; selectedKey: string | null; onSelect(key: string): void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: entries.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const now = Date.now();
  return (
    <>
    <div className="key-list__header" aria-hidden="true">
      <span>Key</span><span>Type</span><span>Size</span><span>Updated</span>
    </div>
    <div className="key-list" ref={scroller}>
      <div role="list" aria-label="Keys" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const entry = entries[item.index] as Entry;
          return (
            <div
              key={entry.id}
              role="listitem"
              className={`key-row${entry.key === selectedKey ? ' key-row--selected' : ''}`}
              style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
              data-key={entry.key}
            >
              <button type="button" className="key-row__button" onClick={() => onSelect(entry.key)} title={entry.key}>
                <span className="key-row__key">{entry.key}</span>
                <span className={`badge badge--${entry.valueType}`}>{entry.valueType}</span>
                <span className="key-row__size">{formatBytes(jsonByteLength(entry.value))}</span>
                <span className="key-row__time" title={entry.updatedAt}>{relativeTime(entry.updatedAt, now)}</span>
              </button>
            </div>
          );
        })}
      </div>
    </div>
    </>
  );
}
