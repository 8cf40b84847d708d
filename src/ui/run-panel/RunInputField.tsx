import type { JsonValue } from '../../engine/types';
import { runInputStore, useEditor, useRunInput } from '../store';
import { inputProblemOf } from '../store/run-input-store';

function pretty(value: JsonValue | undefined): string {
  return JSON.stringify(value ?? {}, null, 2);
}

function sameJson(text: string, value: JsonValue | undefined): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(value ?? {});
  } catch {
    return false;
  }
}

/**
 * The run's input payload, edited as JSON. A text that parses becomes the start block's sample
 * input; one that does not stays on screen, red, and keeps Run disabled (see run-input-store).
 */
export function RunInputField({ startId, sampleInput }: { startId: string; sampleInput: JsonValue | undefined }) {
  const draft = useRunInput((s) => s.draft);
  const updateNodeData = useEditor((s) => s.updateNodeData);
  // A draft that parses but no longer matches the document (undo, another tab) gives way to it.
  const text = draft !== null && (inputProblemOf(draft) !== null || sameJson(draft, sampleInput)) ? draft : pretty(sampleInput);
  const problem = inputProblemOf(text);
  return (
    <div className="field">
      <label className="field__label" htmlFor="run-input">
        Input payload (the Start block’s sample input)
      </label>
      <textarea
        id="run-input"
        className={`field__control field__control--multiline field__control--code${problem ? ' field__control--invalid' : ''}`}
        rows={6}
        spellCheck={false}
        value={text}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? 'run-input-problem' : 'run-input-help'}
        onChange={(event) => {
          const next = event.target.value;
          runInputStore.getState().setDraft(next);
          if (inputProblemOf(next) === null) updateNodeData(startId, { sampleInput: JSON.parse(next) as JsonValue });
        }}
      />
      {problem ? (
        <div id="run-input-problem" className="field__problem" role="alert">
          {problem}. Run is disabled until it parses.
        </div>
      ) : (
        <div id="run-input-help" className="field__help">
          Available in blocks as{' '}
          <code>
            @{'{'}input…{'}'}
          </code>
          .
        </div>
      )}
    </div>
  );
}
