import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { SCOPES, type Entry, type Scope } from '../../kv/types';
import {
  keyNamesBetween,
  listAllKeyNames,
  useBulkDelete,
  useKeyCount,
  useKeyEntry,
  useKeyNames,
  useLiveKeyRefresh,
  type ScopeAddress,
} from '../api/keys';
import { useUndoDelete } from '../api/key-history';
import { useStorage } from '../api/storage';
import { CollapsiblePanel } from '../atoms/CollapsiblePanel';
import { ConfirmDialog } from '../atoms/Dialog';
import { toast, useEditor, useSidePanels } from '../store';
import { KeyDetails } from './KeyDetails';
import { KeyEditor } from './KeyEditor';
import { KeyList } from './KeyList';
import { RecentlyDeleted } from './KeyHistory';
import { KeyTransfer } from './KeyTransfer';
import './key-tools.css';
import { StorageProblemNotice } from './StorageProblemNotice';
import { countLabel } from './selection';

const SCOPE_HINTS: Record<Scope, (meta: { id: string; groupId?: string | undefined }) => string> = {
  flow: (meta) => `flow: keys of this blueprint (${meta.id})`,
  flow_group: (meta) => (meta.groupId ? `flow_group: keys shared by the group ${meta.groupId}` : 'flow_group: this blueprint has no group'),
  global: () => 'global: keys of the whole workspace',
};

/** What the last bulk delete removed, until it is undone or replaced. */
interface Deleted {
  entries: Entry[];
  scope: Scope;
}

export function KeysPanel() {
  useLiveKeyRefresh();
  const client = useQueryClient();
  const meta = useEditor((s) => s.meta);
  const storageStatus = useStorage((s) => s.status);
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  const [scope, setScope] = useState<Scope>('flow');
  const [filter, setFilter] = useState('');
  const [openedKey, setOpenedKey] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [selection, setSelection] = useState<ReadonlySet<string>>(new Set());
  /** The list position of the last key ticked without shift, where a shift-click range starts. */
  const [anchor, setAnchor] = useState<number | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [selectingAll, setSelectingAll] = useState(false);
  const [deleted, setDeleted] = useState<Deleted | null>(null);
  const [showingDeleted, setShowingDeleted] = useState(false);
  const expanded = useSidePanels((s) => !s.collapsed.keys);
  const toggle = useSidePanels((s) => s.toggle);
  const address: ScopeAddress | null =
    scope === 'flow'
      ? { scope, scopeKey: meta.id }
      : scope === 'global'
        ? { scope, scopeKey: '' }
        : meta.groupId
          ? { scope, scopeKey: meta.groupId }
          : null;
  const trimmedFilter = filter.trim();
  const names = useKeyNames(address, trimmedFilter);
  const count = useKeyCount(address);
  const opened = useKeyEntry(address, openedKey);
  const bulkDelete = useBulkDelete();
  const restore = useUndoDelete();
  const matching = names.data?.total ?? 0;

  const clearSelection = () => {
    setSelection(new Set());
    setAnchor(null);
  };
  // A selection belongs to the list it was made in: a new scope or filter starts a new one, so
  // "Delete selected" never removes keys that are out of view.
  const changeScope = (next: Scope) => {
    setScope(next);
    setOpenedKey(null);
    clearSelection();
  };
  const toggleKey = async (key: string, index: number, extend: boolean) => {
    if (extend && anchor !== null && store && address) {
      try {
        const range = await keyNamesBetween(client, store, companyId, address, trimmedFilter, anchor, index);
        setSelection((current) => new Set([...current, ...range]));
      } catch (error) {
        toast('error', `Could not select the range: ${(error as Error).message}`);
      }
      return;
    }
    setSelection((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
    setAnchor(index);
  };
  const selectAllMatching = async () => {
    if (!store || !address) return;
    setSelectingAll(true);
    try {
      setSelection(new Set(await listAllKeyNames(store, companyId, address, trimmedFilter)));
    } catch (error) {
      toast('error', `Could not select the keys: ${(error as Error).message}`);
    } finally {
      setSelectingAll(false);
    }
  };
  const deleteSelected = () => {
    setConfirming(false);
    if (!address) return;
    const keys = [...selection];
    bulkDelete.mutate(
      { address, keys },
      {
        onSuccess: (entries) => {
          clearSelection();
          setDeleted({ entries, scope: address.scope });
        },
        onError: (error) =>
          toast(
            'error',
            `Could not delete the ${keys.length} selected keys; nothing was deleted in the batch that failed: ${error.message}`,
          ),
      },
    );
  };
  const undoDelete = () => {
    if (!deleted) return;
    restore.mutate(deleted.entries, {
      onSuccess: (restored) => {
        setDeleted(null);
        toast('success', `Restored ${countLabel(restored)}.`);
      },
      onError: (error) => toast('error', `Could not restore the deleted keys: ${error.message}`),
    });
  };

  // The opened key shows once read; once it is gone (deleted elsewhere) it is closed, so the list
  // shows and the key does not pop open again if it is restored later.
  const showingKey = openedKey !== null && (opened.isPending || Boolean(opened.data));
  const openedIsGone = openedKey !== null && opened.isSuccess && opened.data === null;
  useEffect(() => {
    if (openedIsGone) setOpenedKey(null);
  }, [openedIsGone]);
  const countText =
    count.data === undefined
      ? ''
      : trimmedFilter && names.data
        ? `${matching.toLocaleString('en-US')} of ${countLabel(count.data)}`
        : countLabel(count.data);

  return (
    <CollapsiblePanel
      title="Stored keys"
      className="keys-panel"
      expanded={expanded}
      onToggle={() => toggle('keys')}
      aside={<span className="panel-title__count">{countText}</span>}
    >
      <div className="keys-panel__controls">
        {/* The labels are the bare scope names so the narrow panel shows them whole; what each
            scope covers is in the titles. */}
        <select aria-label="Scope" value={scope} onChange={(e) => changeScope(e.target.value as Scope)} title={SCOPE_HINTS[scope](meta)}>
          {SCOPES.map((value) => (
            <option key={value} value={value} title={SCOPE_HINTS[value](meta)}>
              {value}
            </option>
          ))}
        </select>
        <input
          type="search"
          aria-label="Filter keys"
          placeholder="Filter keys"
          title="Shows the keys whose name holds this text anywhere, ignoring case"
          value={filter}
          onChange={(e) => {
            setFilter(e.target.value);
            clearSelection();
          }}
        />
        <button
          type="button"
          className="btn"
          onClick={() => {
            setAdding(true);
            setOpenedKey(null);
          }}
          disabled={!address || storageStatus !== 'ready'}
        >
          Add key
        </button>
      </div>
      {address && storageStatus === 'ready' && !adding && !showingKey && (
        <div className="keys-panel__tools" aria-label="Data tools">
          <KeyTransfer address={address} total={count.data ?? 0} />
          <button
            type="button"
            className="btn btn--small keys-panel__tools-end"
            aria-pressed={showingDeleted}
            onClick={() => {
              setShowingDeleted(!showingDeleted);
              setOpenedKey(null);
            }}
            title="Keys of this scope that were deleted, with the value each had: restore them"
          >
            Recently deleted
          </button>
        </div>
      )}
      {deleted && !adding && !showingKey && (
        <div className="keys-panel__notice" role="status">
          <span>
            Deleted {countLabel(deleted.entries.length)} from {deleted.scope}.
          </span>
          <button type="button" className="btn btn--small" onClick={undoDelete} disabled={restore.isPending}>
            {restore.isPending ? 'Restoring…' : 'Undo'}
          </button>
          <button type="button" className="link" aria-label="Dismiss" onClick={() => setDeleted(null)}>
            ×
          </button>
        </div>
      )}
      {address && names.data && matching > 0 && !adding && !showingKey && !showingDeleted && (
        <div className="keys-panel__selection" aria-label="Selection">
          {selection.size > 0 ? (
            <>
              <span className="keys-panel__selected">{selection.size.toLocaleString('en-US')} selected</span>
              <button
                type="button"
                className="btn btn--small btn--ghost-danger"
                onClick={() => setConfirming(true)}
                disabled={bulkDelete.isPending}
              >
                {bulkDelete.isPending ? 'Deleting…' : 'Delete selected'}
              </button>
              <button type="button" className="link" onClick={clearSelection}>
                Clear
              </button>
            </>
          ) : (
            <span className="muted">Tick keys to select them; shift-click selects a range.</span>
          )}
          {selection.size < matching && (
            <button type="button" className="link keys-panel__select-all" onClick={() => void selectAllMatching()} disabled={selectingAll}>
              {selectingAll ? 'Selecting…' : `Select all ${matching.toLocaleString('en-US')}${trimmedFilter ? ' matching' : ''}`}
            </button>
          )}
        </div>
      )}
      <div className="keys-panel__body">
        {adding && address ? (
          <KeyEditor address={address} onDone={() => setAdding(false)} />
        ) : openedKey !== null && address && opened.data ? (
          <KeyDetails entry={opened.data} address={address} onClose={() => setOpenedKey(null)} />
        ) : openedKey !== null && opened.isPending ? (
          <div className="empty-state">
            <div className="spinner" aria-hidden="true" /> <span className="muted">Reading {openedKey}…</span>
          </div>
        ) : storageStatus === 'unavailable' ? (
          <StorageProblemNotice />
        ) : showingDeleted && address ? (
          <RecentlyDeleted address={address} />
        ) : !address ? (
          <div className="empty-state">
            <div className="empty-state__title">No flow group</div>
            <div className="muted">
              This blueprint has no group. Set a flow group in the blueprint settings (click the canvas background).
            </div>
          </div>
        ) : names.isPending ? (
          <div className="empty-state">
            <div className="spinner" aria-hidden="true" /> <span className="muted">Loading keys…</span>
          </div>
        ) : names.isError ? (
          <div className="empty-state" role="alert">
            <div className="empty-state__title">Could not load keys</div>
            <div className="muted">{names.error.message}</div>
            <button type="button" className="btn" onClick={() => void names.refetch()} disabled={names.isFetching}>
              {names.isFetching ? 'Retrying…' : 'Retry'}
            </button>
          </div>
        ) : matching === 0 ? (
          <div className="empty-state">
            <div className="empty-state__title">{trimmedFilter ? `No key contains “${trimmedFilter}”` : 'No keys in this scope yet'}</div>
            <div className="muted">{trimmedFilter ? 'Clear the filter to see every key.' : 'Run the blueprint or add a key.'}</div>
          </div>
        ) : (
          <KeyList
            // A new scope or filter is a new list: it starts at the top.
            key={`${scope}\u0000${trimmedFilter}`}
            address={address}
            firstPage={names.data.keys}
            total={matching}
            filter={trimmedFilter}
            selection={selection}
            openedKey={openedKey}
            onOpen={(key) => {
              setOpenedKey(key);
              setAdding(false);
            }}
            onToggle={(key, index, extend) => void toggleKey(key, index, extend)}
          />
        )}
      </div>
      {confirming && (
        <ConfirmDialog
          title="Delete keys"
          message={
            <>
              Delete {countLabel(selection.size)} from the {scope} scope? Blueprints that read them will take their error out. You can undo
              this right after.
            </>
          }
          confirmLabel={`Delete ${countLabel(selection.size)}`}
          onCancel={() => setConfirming(false)}
          onConfirm={deleteSelected}
        />
      )}
    </CollapsiblePanel>
  );
}
