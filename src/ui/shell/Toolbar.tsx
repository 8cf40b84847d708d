import { useReactFlow } from '@xyflow/react';
import { useState, type ChangeEvent } from 'react';
import type { Problem } from '../../engine/types';
import { STORAGE_LABELS, selectStorage, storageStatusLabel, useStorage, type StorageChoice } from '../api/storage';
import { toast, useLibrary } from '../store';
import { Icon } from '../atoms/Icon';
import { BlueprintMenu } from './BlueprintMenu';
import { CommandButton, useCommandState } from '../commands/CommandButton';
import { COMMANDS, fitViewSmoothly, runBlockedReason, runBlockedShort, type CommandName } from '../commands/editor-commands';
import { ImportProblemsDialog } from './ImportProblemsDialog';
import { RunModeSelect } from './RunModeSelect';
import { ConflictDialog, ImportChoiceDialog } from './WorkspaceDialogs';

/** A group of command buttons, drawn from the command table (icon, label, shortcut, enabled). */
function CommandGroup({ names, compact = false }: { names: readonly CommandName[]; compact?: boolean }) {
  return (
    <div className={compact ? 'toolbar__group toolbar__group--compact' : 'toolbar__group'}>
      {names.map((name) => (
        <CommandButton key={name} name={name} className={'iconOnly' in COMMANDS[name] ? 'btn btn--icon' : 'btn'} />
      ))}
    </div>
  );
}

/** Beside a disabled Run button: why, in a few words (the tooltip and the Run panel say more). */
function RunBlockedNote() {
  const state = useCommandState();
  const short = runBlockedShort(state);
  return (
    <span className="run-blocked" role="status" aria-label="Why Run is disabled" title={runBlockedReason(state)} hidden={!short}>
      {short}
    </span>
  );
}

export function Toolbar() {
  const storageChoice = useStorage((s) => s.choice);
  const storageStatus = useStorage((s) => s.status);
  const storageMessage = useStorage((s) => s.message);
  const storageProblem = useStorage((s) => s.problem);
  const storageLabel = storageStatusLabel({ choice: storageChoice, status: storageStatus, problem: storageProblem });
  // Browser storage is simply there: its word would only take room from the toolbar.
  const showStorageStatus = storageChoice === 'server' || storageStatus !== 'ready';
  const importText = useLibrary((s) => s.importText);
  const flow = useReactFlow();
  const [problems, setProblems] = useState<{ file: string; problems: Problem[] } | null>(null);
  const fitView = () => fitViewSmoothly(flow);

  const onImport = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    let outcome;
    try {
      outcome = await importText(await file.text());
    } catch (error) {
      toast('error', `“${file.name}” was not imported: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    // The id is taken here: the import dialog asks Replace or Keep both.
    if (outcome.ok === 'ask') return;
    if (outcome.ok) {
      toast('success', `Imported “${file.name}”.`);
      globalThis.requestAnimationFrame(fitView);
    } else setProblems({ file: file.name, problems: outcome.problems });
  };

  return (
    <header className="toolbar" role="toolbar" aria-label="Editor toolbar">
      <div className="toolbar__brand" title="KV Blueprints">
        <span className="toolbar__logo">KV</span> <span className="toolbar__brand-name">Blueprints</span>
      </div>
      <BlueprintMenu />
      <CommandGroup names={['undo', 'redo']} />
      <CommandGroup names={['autoLayout', 'fitView']} compact />
      <div className="toolbar__group toolbar__group--compact">
        <label className="btn" title="Import a kv-blueprint/1 file">
          <Icon name="upload" /> <span className="btn__label">Import</span>
          <input
            type="file"
            accept="application/json,.json"
            className="visually-hidden"
            aria-label="Import blueprint"
            onChange={(e) => void onImport(e)}
          />
        </label>
        <CommandButton name="export" />
      </div>
      <div className="toolbar__spacer" />
      <label className="toolbar__storage">
        {/* The status word takes the caption's place when there is something to say, so the toolbar keeps its width. */}
        {!showStorageStatus && <span>Storage</span>}
        <select
          aria-label="Storage"
          value={storageChoice}
          onChange={(e) => void selectStorage(e.target.value as StorageChoice)}
          title={
            storageStatus === 'unavailable' && storageMessage
              ? storageMessage
              : 'Storage: where blueprints, runs and stored keys live (this browser, or the kvb server)'
          }
        >
          {(Object.keys(STORAGE_LABELS) as StorageChoice[]).map((choice) => (
            <option key={choice} value={choice}>
              {STORAGE_LABELS[choice]}
            </option>
          ))}
        </select>
        <span className={`storage-dot storage-dot--${storageStatus}`} aria-hidden="true" />
        <span
          className={showStorageStatus ? 'toolbar__storage-status' : 'visually-hidden'}
          role="status"
          aria-label="Storage status"
          title={storageMessage ?? storageLabel}
          data-status={storageStatus}
          style={{ whiteSpace: 'nowrap', ...(storageStatus === 'unavailable' ? { color: '#fca5a5' } : {}) }}
        >
          {storageLabel}
        </span>
      </label>
      <div className="toolbar__group">
        <RunBlockedNote />
        <RunModeSelect />
        <CommandButton name="run" className="btn btn--primary" />
        <CommandButton name="stop" />
      </div>
      <ConflictDialog />
      <ImportChoiceDialog />
      {problems && <ImportProblemsDialog file={problems.file} problems={problems.problems} onClose={() => setProblems(null)} />}
    </header>
  );
}
