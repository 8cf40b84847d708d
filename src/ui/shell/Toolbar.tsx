import { useReactFlow } from '@xyflow/react';
import { useState, type ChangeEvent } from 'react';
import type { Problem } from '../../engine/types';
import { STORAGE_LABELS, selectStorage, storageStatusLabel, useStorage, type StorageChoice } from '../api/storage';
import { toast, useEditor, useLibrary, useRun } from '../store';
import { Icon } from '../atoms/Icon';
import { BlueprintMenu } from './BlueprintMenu';
import { SHORTCUTS, autoLayout, exportCurrentBlueprint, fitViewSmoothly, redo, runCurrentBlueprint, shortcutLabel, stopRun, undo } from './commands';
import { ImportProblemsDialog } from './ImportProblemsDialog';

export function Toolbar() {
  const canUndo = useEditor((s) => s.history.past.length > 0);
  const canRedo = useEditor((s) => s.history.future.length > 0);
  const running = useRun((s) => s.view.status === 'running');
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
    const outcome = importText(await file.text());
    if (outcome.ok) {
      toast('success', `Imported “${file.name}”.`);
      globalThis.requestAnimationFrame(fitView);
    } else setProblems({ file: file.name, problems: outcome.problems });
  };

  const tip = (label: string, shortcut?: { key: string; mod?: boolean; shift?: boolean }) =>
    shortcut ? `${label} (${shortcutLabel(shortcut)})` : label;

  return (
    <header className="toolbar" role="toolbar" aria-label="Editor toolbar">
      <div className="toolbar__brand" title="KV Blueprints"><span className="toolbar__logo">KV</span> <span className="toolbar__brand-name">Blueprints</span></div>
      <BlueprintMenu />
      <div className="toolbar__group">
        <button type="button" className="btn btn--icon" onClick={undo} disabled={!canUndo} title={tip('Undo', SHORTCUTS.undo)} aria-label="Undo"><Icon name="undo" /></button>
        <button type="button" className="btn btn--icon" onClick={redo} disabled={!canRedo} title={tip('Redo', SHORTCUTS.redo)} aria-label="Redo"><Icon name="redo" /></button>
      </div>
      <div className="toolbar__group">
        <button type="button" className="btn" onClick={() => void autoLayout(fitView)} title={tip('Auto layout', SHORTCUTS.autoLayout)}><Icon name="layout" /> Auto layout</button>
        <button type="button" className="btn" onClick={fitView} title={tip('Fit view', SHORTCUTS.fitView)}><Icon name="fit" /> Fit view</button>
      </div>
      <div className="toolbar__group">
        <label className="btn" title="Import a kv-blueprint/1 file">
          <Icon name="upload" /> Import
          <input type="file" accept="application/json,.json" className="visually-hidden" aria-label="Import blueprint" onChange={(e) => void onImport(e)} />
        </label>
        <button type="button" className="btn" onClick={exportCurrentBlueprint} title="Download this blueprint as a kv-blueprint/1 file"><Icon name="download" /> Export</button>
      </div>
      <div className="toolbar__spacer" />
      <label className="toolbar__storage">
        {/* The status word takes the caption's place when there is something to say, so the toolbar keeps its width. */}
        {!showStorageStatus && <span>Storage</span>}
        <select
          aria-label="Storage"
          value={storageChoice}
          onChange={(e) => void selectStorage(e.target.value as StorageChoice)}
          title={storageStatus === 'unavailable' && storageMessage ? storageMessage : 'Storage: where stored keys live'}
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
        <button type="button" className="btn btn--primary" onClick={() => void runCurrentBlueprint()} disabled={running || storageStatus !== 'ready'} title={storageStatus === 'ready' ? tip('Run', SHORTCUTS.run) : `Run: ${storageMessage ?? 'storage is connecting…'}`} aria-label="Run">
          <Icon name="play" /> Run
        </button>
        <button type="button" className="btn" onClick={stopRun} disabled={!running} title="Stop after the block in flight" aria-label="Stop"><Icon name="stop" /> Stop</button>
      </div>
      {problems && <ImportProblemsDialog file={problems.file} problems={problems.problems} onClose={() => setProblems(null)} />}
    </header>
  );
}
