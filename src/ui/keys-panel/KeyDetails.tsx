import { useState } from 'react';
import { jsonByteLength } from '../../kv/operations';
import type { Entry } from '../../kv/types';
import { formatBytes, useDeleteKey, type ScopeAddress } from '../api/keys';
import { ConfirmDialog } from '../atoms/Dialog';
import { JsonTree } from '../atoms/JsonTree';
import { toast } from '../store';
import { KeyEditor } from './KeyEditor';
import { KeyHistory } from './KeyHistory';
import { expressionForPath, relativeTime } from './key-paths';

async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    toast('success', `Copied ${text}`);
  } catch {
    // Clipboard access can be refused (no permission, insecure origin): show the text instead.
    toast('info', `Copy this: ${text}`);
  }
}

/** One stored key: its value as a JSON tree, copy paths as expressions, edit and delete. */
export function KeyDetails({ entry, address, onClose }: { entry: Entry; address: ScopeAddress; onClose(): void }) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [showingHistory, setShowingHistory] = useState(false);
  const remove = useDeleteKey();
  if (editing) return <KeyEditor address={address} entry={entry} onDone={() => setEditing(false)} />;
  return (
    <div className="key-details" aria-label={`Key ${entry.key}`}>
      <div className="key-details__head">
        <button type="button" className="link" onClick={onClose}>
          ← All keys
        </button>
        <code className="key-details__key">{entry.key}</code>
      </div>
      <div className="key-details__meta muted">
        {entry.valueType} · {formatBytes(jsonByteLength(entry.value))} · v{entry.version} · updated {relativeTime(entry.updatedAt)}
        {entry.expiresAt && <> · expires {new Date(entry.expiresAt).toLocaleString()}</>}
      </div>
      <div className="key-details__value">
        <JsonTree value={entry.value} onCopyPath={(path) => void copyText(expressionForPath(address.scope, entry.key, path))} />
      </div>
      <div className="inline-actions">
        <button type="button" className="btn" onClick={() => void copyText(expressionForPath(address.scope, entry.key, []))}>
          Copy expression
        </button>
        <button type="button" className="btn" onClick={() => setEditing(true)}>
          Edit
        </button>
        <button type="button" className="btn" aria-pressed={showingHistory} onClick={() => setShowingHistory(!showingHistory)}>
          History
        </button>
        <button type="button" className="btn btn--ghost-danger" onClick={() => setConfirming(true)}>
          Delete
        </button>
      </div>
      {showingHistory && <KeyHistory address={address} keyName={entry.key} onClose={() => setShowingHistory(false)} />}
      {confirming && (
        <ConfirmDialog
          title="Delete key"
          message={
            <>
              Delete <code>{entry.key}</code> from the {address.scope} scope? Blueprints that read it will take their error out.
            </>
          }
          confirmLabel="Delete key"
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            remove.mutate(entry, {
              onSuccess: () => {
                toast('success', `Deleted ${entry.key}.`);
                onClose();
              },
              onError: (error) => toast('error', `Could not delete ${entry.key}: ${error.message}`),
            });
          }}
        />
      )}
    </div>
  );
}
