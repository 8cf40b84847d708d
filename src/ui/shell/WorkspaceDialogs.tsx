import { useEffect, useState } from 'react';
import type { RevisionEntry } from '../store/library';
import { WHERE_LABELS } from '../store/library';
import { Dialog } from '../atoms/Dialog';
import { toast, useEditor, useLibrary } from '../store';

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Runs a library action, saying what went wrong if it did. */
function attempt(action: () => Promise<unknown>, done?: () => void): void {
  action().then(
    () => done?.(),
    (error: unknown) => toast('error', errorText(error)),
  );
}

/**
 * Someone else saved the open blueprint after this editor loaded it (another person on the
 * server, another tab in this browser). Nothing is saved until a choice is made; the dialog
 * cannot be dismissed, because dismissing would mean one side silently loses.
 */
export function ConflictDialog() {
  const conflict = useLibrary((s) => s.conflict);
  const resolve = useLibrary((s) => s.resolveConflict);
  const [busy, setBusy] = useState(false);
  if (!conflict) return null;
  const elsewhere =
    conflict.where === 'server'
      ? 'on the server (another person, or this blueprint open in another tab)'
      : 'in another tab of this browser';
  const choose = (choice: 'mine' | 'theirs' | 'copy') => {
    setBusy(true);
    attempt(
      () => resolve(choice),
      () => setBusy(false),
    );
  };
  return (
    <Dialog
      title="Conflict"
      onClose={() => {}}
      closable={false}
      footer={
        <>
          <button
            type="button"
            className="btn"
            disabled={busy}
            onClick={() => choose('copy')}
            title="Theirs stays as it is; yours becomes a new blueprint"
          >
            Save as copy
          </button>
          <button
            type="button"
            className="btn"
            disabled={busy}
            onClick={() => choose('theirs')}
            title="Drop your unsaved edits and open their version"
          >
            Take theirs
          </button>
          <button
            type="button"
            className="btn btn--primary"
            disabled={busy}
            onClick={() => choose('mine')}
            title="Save your version over theirs"
          >
            Keep mine
          </button>
        </>
      }
    >
      {/* Focus lands on the text, not on a choice: an Enter still on its way (the rename that
          caused the save) must not pick one. */}
      <p className="dialog__lead" tabIndex={-1} data-autofocus>
        <strong>{conflict.name}</strong>{' '}
        {conflict.currentRevision === 0
          ? `was deleted ${elsewhere} after you opened it.`
          : `was saved ${elsewhere} after you opened it: the stored copy is now revision ${conflict.currentRevision}.`}{' '}
        Your latest edits are not saved yet.
      </p>
      <ul className="workspace-choices">
        <li>
          <strong>Keep mine</strong>: save your version as revision {conflict.currentRevision + 1}, over theirs (theirs stays in Revisions).
        </li>
        <li>
          <strong>Take theirs</strong>: open their version; your unsaved edits are dropped.
        </li>
        <li>
          <strong>Save as copy</strong>: leave theirs as it is and save yours as a new blueprint.
        </li>
      </ul>
    </Dialog>
  );
}

/** An imported file whose id is already in the workspace: replace that blueprint, or keep both. */
export function ImportChoiceDialog() {
  const pending = useLibrary((s) => s.pendingImport);
  const where = useLibrary((s) => s.where);
  const resolve = useLibrary((s) => s.resolveImport);
  if (!pending) return null;
  const choose = (choice: 'replace' | 'keep-both' | 'cancel') =>
    attempt(
      () => resolve(choice),
      () => choice !== 'cancel' && toast('success', `Imported “${pending.document.name}”.`),
    );
  return (
    <Dialog
      title="Blueprint already exists"
      onClose={() => choose('cancel')}
      footer={
        <>
          <button type="button" className="btn" onClick={() => choose('cancel')}>
            Cancel
          </button>
          <button type="button" className="btn" onClick={() => choose('keep-both')} title="Import as a new blueprint with another id">
            Keep both
          </button>
          <button
            type="button"
            className="btn btn--primary"
            data-autofocus
            onClick={() => choose('replace')}
            title="Save the file as a new revision of the existing blueprint"
          >
            Replace
          </button>
        </>
      }
    >
      <p className="dialog__lead">
        The file’s id <code>{pending.document.id}</code> is already used by <strong>{pending.existingName}</strong> in the{' '}
        {WHERE_LABELS[where]} workspace.
      </p>
      <ul className="workspace-choices">
        <li>
          <strong>Replace</strong>: the file becomes a new revision of that blueprint; it keeps its id, so its flow-scope keys stay its own.
        </li>
        <li>
          <strong>Keep both</strong>: the file is added as a new blueprint with a free id (its flow-scope keys start empty).
        </li>
      </ul>
    </Dialog>
  );
}

function savedAtText(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/**
 * Where the open blueprint lives, copying it to the other workspace, and its last revisions
 * (each restorable: the restored one is saved as a new revision, so nothing is lost).
 */
export function BlueprintStorageDialog({ onClose }: { onClose(): void }) {
  const where = useLibrary((s) => s.where);
  const opened = useLibrary((s) => s.opened);
  const listRevisions = useLibrary((s) => s.listRevisions);
  const restoreRevision = useLibrary((s) => s.restoreRevision);
  const copyToOther = useLibrary((s) => s.copyToOther);
  const name = useEditor((s) => s.meta.name);
  const [revisions, setRevisions] = useState<RevisionEntry[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const other = where === 'browser' ? 'server' : 'browser';
  const currentRevision = opened?.revision ?? null;

  useEffect(() => {
    let live = true;
    listRevisions().then(
      (list) => live && setRevisions(list),
      (error: unknown) => live && setProblem(errorText(error)),
    );
    return () => {
      live = false;
    };
  }, [listRevisions, currentRevision]);

  const copy = () =>
    attempt(async () => {
      const copied = await copyToOther();
      toast(
        'success',
        `Copied “${copied.name}” to ${WHERE_LABELS[copied.where]} storage. Switch Storage to ${WHERE_LABELS[copied.where]} to open it there.`,
      );
    });

  return (
    <Dialog title="Blueprint storage" onClose={onClose}>
      <p className="dialog__lead">
        <strong>{name}</strong>{' '}
        {where === 'server'
          ? `lives on the kvb server at ${globalThis.location?.origin ?? 'this origin'}, shared with everyone who uses it.`
          : 'lives in this browser only (localStorage).'}
        {currentRevision !== null && ` Revision ${currentRevision}.`}
      </p>
      <p>
        <button type="button" className="btn" onClick={copy}>
          Copy to {WHERE_LABELS[other]}
        </button>
      </p>
      <h3 className="workspace-heading">Revisions</h3>
      {problem && <p role="alert">{problem}</p>}
      {!problem && revisions === null && <p>Loading…</p>}
      {revisions !== null && revisions.length === 0 && <p>No earlier revisions kept yet.</p>}
      {revisions !== null && revisions.length > 0 && (
        <ul className="workspace-revisions" aria-label="Revisions">
          {revisions.map((entry) => (
            <li key={entry.revision}>
              <span className="workspace-revisions__number">#{entry.revision}</span>
              <span className="workspace-revisions__name">{entry.name}</span>
              <span className="workspace-revisions__time">{savedAtText(entry.savedAt)}</span>
              {entry.revision === currentRevision ? (
                <span className="workspace-revisions__current">current</span>
              ) : (
                <button
                  type="button"
                  className="btn btn--small"
                  aria-label={`Restore revision ${entry.revision}`}
                  onClick={() => attempt(() => restoreRevision(entry.revision), onClose)}
                >
                  Restore
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
