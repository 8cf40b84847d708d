import { useRef, useState } from 'react';
import {
  checkImportFile,
  exportFileName,
  ImportLineError,
  importSummaryText,
  type ImportMode,
  type ImportSummary,
} from '../api/key-transfer';
import type { ScopeAddress } from '../api/keys';
import { exportKeys, importKeys } from '../api/server-transfer';
import { notifyKeysChanged, useStorage } from '../api/storage';
import { Dialog } from '../atoms/Dialog';
import { Icon } from '../atoms/Icon';
import { toast } from '../store';
import { countLabel } from './selection';

interface ExportState {
  done: number;
  total: number;
  controller: AbortController;
}

/** A file picked for import, checked before anything is written. */
interface ImportDraft {
  fileName: string;
  text: string;
  lines: number;
  problem: string | null;
  mode: ImportMode;
  status: 'ready' | 'importing' | 'done' | 'failed';
  summary: ImportSummary | null;
  error: string | null;
}

function download(chunks: string[], fileName: string): void {
  const url = URL.createObjectURL(new Blob(chunks, { type: 'application/x-ndjson' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  globalThis.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** "Export keys" (NDJSON download, with progress) and "Import keys" (file, summary, line-numbered error). */
export function KeyTransfer({ address, total }: { address: ScopeAddress | null; total: number }) {
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  const [exporting, setExporting] = useState<ExportState | null>(null);
  const [draft, setDraft] = useState<ImportDraft | null>(null);
  const picker = useRef<HTMLInputElement>(null);
  const disabled = !store || !address;

  const startExport = async () => {
    if (!store || !address) return;
    const controller = new AbortController();
    setExporting({ done: 0, total, controller });
    try {
      const chunks = await exportKeys(
        store,
        companyId,
        address,
        total,
        (done, all) => setExporting((current) => (current?.controller === controller ? { ...current, done, total: all } : current)),
        controller.signal,
      );
      const fileName = exportFileName(address);
      download(chunks, fileName);
      const lines = chunks.reduce((sum, chunk) => sum + (chunk.match(/\n/g)?.length ?? 0), 0);
      toast('success', `Exported ${countLabel(lines)} to ${fileName}.`);
    } catch (error) {
      if (!controller.signal.aborted) toast('error', `Could not export the keys: ${(error as Error).message}`);
    } finally {
      setExporting((current) => (current?.controller === controller ? null : current));
    }
  };

  const pickFile = async (file: File) => {
    const text = await file.text();
    let lines = 0;
    let problem: string | null = null;
    try {
      lines = checkImportFile(text).length;
    } catch (error) {
      problem = (error as Error).message;
    }
    setDraft({ fileName: file.name, text, lines, problem, mode: 'upsert', status: 'ready', summary: null, error: null });
  };

  const runImport = async (current: ImportDraft) => {
    if (!store) return;
    setDraft({ ...current, status: 'importing' });
    try {
      const summary = await importKeys(store, companyId, current.text, current.mode);
      notifyKeysChanged();
      setDraft({ ...current, status: 'done', summary });
    } catch (error) {
      const message = error instanceof ImportLineError ? error.message : `Nothing was imported: ${(error as Error).message}`;
      setDraft({ ...current, status: 'failed', error: message });
    }
  };

  return (
    <div className="key-transfer">
      {exporting ? (
        <div className="key-transfer__progress" role="status">
          <progress aria-label="Export progress" value={exporting.done} max={Math.max(1, exporting.total)} />
          <span>
            Exporting {exporting.done.toLocaleString('en-US')} of {countLabel(exporting.total)}…
          </span>
          <button type="button" className="link" onClick={() => exporting.controller.abort()}>
            Cancel
          </button>
        </div>
      ) : (
        <button
          type="button"
          className="btn btn--small"
          onClick={() => void startExport()}
          disabled={disabled}
          title="Download this scope's keys as NDJSON, one entry a line"
        >
          <Icon name="download" /> Export keys
        </button>
      )}
      <button
        type="button"
        className="btn btn--small"
        onClick={() => picker.current?.click()}
        disabled={disabled}
        title="Write keys from an NDJSON export into their scopes: all lines or none"
      >
        <Icon name="upload" /> Import keys
      </button>
      <input
        ref={picker}
        type="file"
        accept=".ndjson,.jsonl,application/x-ndjson,text/plain"
        aria-label="Import keys file"
        hidden
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) void pickFile(file);
        }}
      />
      {draft && <ImportDialog draft={draft} onChange={setDraft} onImport={(d) => void runImport(d)} onClose={() => setDraft(null)} />}
    </div>
  );
}

function ImportDialog({
  draft,
  onChange,
  onImport,
  onClose,
}: {
  draft: ImportDraft;
  onChange(next: ImportDraft): void;
  onImport(draft: ImportDraft): void;
  onClose(): void;
}) {
  const finished = draft.status === 'done' || draft.status === 'failed';
  return (
    <Dialog
      title="Import keys"
      onClose={onClose}
      footer={
        finished || draft.problem ? (
          <button type="button" className="btn" data-autofocus onClick={onClose}>
            Close
          </button>
        ) : (
          <>
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
            <button
              type="button"
              className="btn btn--primary"
              data-autofocus
              onClick={() => onImport(draft)}
              disabled={draft.status === 'importing' || draft.lines === 0}
            >
              {draft.status === 'importing' ? 'Importing…' : `Import ${countLabel(draft.lines)}`}
            </button>
          </>
        )
      }
    >
      <p>
        <code>{draft.fileName}</code>
        {draft.problem === null && <> · {countLabel(draft.lines)}</>}
      </p>
      {draft.problem !== null ? (
        <div className="key-transfer__error" role="alert">
          This file cannot be imported; nothing was written. {draft.problem}
        </div>
      ) : draft.status === 'done' && draft.summary ? (
        <div className="key-transfer__result" role="status">
          Imported. {importSummaryText(draft.summary)}
        </div>
      ) : draft.status === 'failed' ? (
        <div className="key-transfer__error" role="alert">
          {draft.error}
        </div>
      ) : (
        <label className="field">
          <span className="field__label">When a key already exists</span>
          <select value={draft.mode} onChange={(e) => onChange({ ...draft, mode: e.target.value as ImportMode })}>
            <option value="upsert">Replace it with the file’s value</option>
            <option value="create">Keep the stored value</option>
          </select>
        </label>
      )}
      <p className="muted">Each line goes to the scope it names. Every line is written, or none is.</p>
    </Dialog>
  );
}
