import type { Problem } from '../../engine/types';
import { Dialog } from '../atoms/Dialog';

export function ImportProblemsDialog({ file, problems, onClose }: { file: string; problems: Problem[]; onClose(): void }) {
  return (
    <Dialog
      title="Import failed"
      onClose={onClose}
      tone="danger"
      footer={
        <button type="button" className="btn" data-autofocus onClick={onClose}>
          OK
        </button>
      }
    >
      <p className="dialog__lead">
        <strong>{file}</strong> is not a valid <code>kv-blueprint/1</code> file. Nothing was imported; the open blueprint is unchanged.
      </p>
      <ul className="problem-list" aria-label="Problems">
        {problems.map((problem, index) => (
          <li key={index}>
            <code>{problem.path}</code> {problem.message}
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
