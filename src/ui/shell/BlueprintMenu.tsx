import { useEffect, useState } from 'react';
import { TEMPLATES } from '../../engine';
import { ConfirmDialog, Dialog } from '../atoms/Dialog';
import { Icon } from '../atoms/Icon';
import { toast, useEditor, useLibrary } from '../store';
import { WHERE_LABELS } from '../store/library';
import { BlueprintStorageDialog } from './WorkspaceDialogs';

const report = (promise: Promise<unknown>) =>
  promise.catch((error: unknown) => toast('error', error instanceof Error ? error.message : String(error)));

/** Which blueprint is open: switch, rename, create from a template, duplicate, delete; where it lives. */
export function BlueprintMenu() {
  const where = useLibrary((s) => s.where);
  const libraryStatus = useLibrary((s) => s.status);
  const libraryMessage = useLibrary((s) => s.message);
  const entries = useLibrary((s) => s.index.entries);
  const currentId = useLibrary((s) => s.index.currentId);
  const open = useLibrary((s) => s.open);
  const renameCurrent = useLibrary((s) => s.renameCurrent);
  const duplicateCurrent = useLibrary((s) => s.duplicateCurrent);
  const deleteBlueprint = useLibrary((s) => s.deleteBlueprint);
  const name = useEditor((s) => s.meta.name);
  const [draft, setDraft] = useState(name);
  const [dialog, setDialog] = useState<'new' | 'delete' | 'storage' | null>(null);
  useEffect(() => setDraft(name), [name]);

  const commitName = () => {
    if (draft.trim() === '') setDraft(name);
    else if (draft !== name) renameCurrent(draft);
  };

  const sorted = [...entries].sort((a, b) => a.name.localeCompare(b.name));

  return (
    <div className="blueprint-menu">
      {/* Drawn as a list icon: the name beside it is the one place the open blueprint's name shows. */}
      <select
        className="blueprint-menu__switch"
        aria-label="Blueprint"
        value={currentId ?? ''}
        onChange={(e) => void report(open(e.target.value))}
        title={`Open another blueprint (${entries.length} ${where === 'server' ? 'on the server' : 'in this browser'})`}
      >
        {sorted.map((entry) => (
          <option key={entry.id} value={entry.id}>
            {entry.name}
          </option>
        ))}
      </select>
      <input
        className="blueprint-menu__name"
        aria-label="Blueprint name"
        placeholder="Blueprint name"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commitName}
        onKeyDown={(e) => {
          if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
          if (e.key === 'Escape') setDraft(name);
        }}
        title="Name of this blueprint: type to rename"
      />
      <button
        type="button"
        className="btn"
        onClick={() => setDialog('new')}
        title="New blueprint from a template"
        aria-label="New blueprint"
      >
        <Icon name="plus" /> New
      </button>
      <button
        type="button"
        className="btn btn--icon"
        onClick={() => void report(duplicateCurrent())}
        title="Duplicate this blueprint"
        aria-label="Duplicate blueprint"
      >
        <Icon name="copy" />
      </button>
      <button
        type="button"
        className="btn btn--icon btn--ghost-danger"
        onClick={() => setDialog('delete')}
        title="Delete this blueprint"
        aria-label="Delete blueprint"
      >
        <Icon name="trash" />
      </button>
      <button
        type="button"
        className={`btn blueprint-menu__where blueprint-menu__where--${where}${libraryStatus === 'ready' ? '' : ` blueprint-menu__where--${libraryStatus}`}`}
        onClick={() => setDialog('storage')}
        aria-label={`Blueprint storage: ${WHERE_LABELS[where]}`}
        title={
          libraryStatus === 'ready'
            ? `This blueprint lives ${where === 'server' ? 'on the kvb server' : 'in this browser'}: copy it, or see and restore its revisions`
            : (libraryMessage ?? 'Opening the blueprints…')
        }
      >
        <Icon name={where} /> <span className="blueprint-menu__where-text">{WHERE_LABELS[where]}</span>
      </button>
      {dialog === 'storage' && <BlueprintStorageDialog onClose={() => setDialog(null)} />}
      {dialog === 'new' && <NewBlueprintDialog onClose={() => setDialog(null)} />}
      {dialog === 'delete' && currentId && (
        <ConfirmDialog
          title="Delete blueprint"
          message={
            <>
              Delete <strong>{name}</strong> and its run history? Its stored keys stay in the store.
            </>
          }
          confirmLabel="Delete blueprint"
          onCancel={() => setDialog(null)}
          onConfirm={() => {
            void report(deleteBlueprint(currentId));
            setDialog(null);
          }}
        />
      )}
    </div>
  );
}

function NewBlueprintDialog({ onClose }: { onClose(): void }) {
  const createFromTemplate = useLibrary((s) => s.createFromTemplate);
  const createBlank = useLibrary((s) => s.createBlank);
  return (
    <Dialog title="New blueprint" onClose={onClose}>
      <div className="template-list">
        {TEMPLATES.map((template) => (
          <button
            key={template.id}
            type="button"
            className="template-card"
            onClick={() => {
              void report(createFromTemplate(template.id));
              onClose();
            }}
          >
            <span className="template-card__name">{template.name}</span>
            <span className="template-card__description">{template.description}</span>
            <span className="template-card__meta">{template.document.nodes.length} blocks</span>
          </button>
        ))}
        <button
          type="button"
          className="template-card template-card--blank"
          onClick={() => {
            void report(createBlank());
            onClose();
          }}
        >
          <span className="template-card__name">Blank blueprint</span>
          <span className="template-card__description">Only a Start block.</span>
        </button>
      </div>
    </Dialog>
  );
}
