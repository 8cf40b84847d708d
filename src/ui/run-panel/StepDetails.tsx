import type { StepRecord } from '../../engine/types';
import { ErrorHelp } from '../atoms/ErrorHelp';
import { JsonTree } from '../atoms/JsonTree';
import type { StepInput } from './step-inputs';
import { useEditor } from '../store';

/** Pins this step's result as its block's output (what Run from here uses), or says it is pinned. */
function PinStepButton({ nodeId, result }: { nodeId: string; result: StepRecord['result'] }) {
  const pinned = useEditor((s) => s.meta.pins?.[nodeId]);
  const setPin = useEditor((s) => s.setPin);
  const exists = useEditor((s) => s.nodes.some((n) => n.id === nodeId));
  if (!exists) return null;
  const same = pinned !== undefined && JSON.stringify(pinned) === JSON.stringify(result);
  return (
    <button type="button" className="btn btn--small step-details__pin" disabled={same} onClick={() => setPin(nodeId, result)}>
      {same ? 'Pinned' : 'Pin this output'}
    </button>
  );
}

/**
 * One step of the shown run, side by side: what came into the block (the result handed over by
 * the step before it, or the run's input) and what it gave (its result or its error), each a
 * JSON tree as tall as the panel.
 */
export function StepDetails({
  index,
  steps,
  input,
  titles,
}: {
  index: number;
  steps: readonly StepRecord[];
  input: StepInput;
  titles: Readonly<Record<string, string>>;
}) {
  const step = steps[index]!;
  const fromStep = input.from === null ? undefined : steps[input.from];
  const fromTitle = input.from === null || !fromStep ? null : `step ${input.from + 1} · ${titles[fromStep.nodeId] ?? fromStep.nodeId}`;
  return (
    <div className="step-details" aria-label={`Step ${index + 1}: ${titles[step.nodeId] ?? step.nodeId}`} role="group">
      <section className="step-details__pane" aria-label="Step input">
        <div className="step-details__title">
          Input <span className="muted">{index === 0 ? 'the run’s input' : fromTitle ? `from ${fromTitle}` : 'not known'}</span>
        </div>
        <div className="step-details__tree">
          {input.value === undefined ? (
            <span className="muted">Nothing came in that this run recorded.</span>
          ) : (
            <JsonTree value={input.value} openDepth={3} />
          )}
        </div>
      </section>
      <section className="step-details__pane" aria-label="Step output">
        <div className="step-details__title">
          Output <span className={`badge badge--${step.error ? 'error' : 'success'}`}>{step.outcome}</span>
          <span className="muted"> {step.durationMs.toFixed(1)} ms</span>
          {!step.error && <PinStepButton nodeId={step.nodeId} result={step.result} />}
        </div>
        <div className="step-details__tree">
          {step.error ? (
            <div className="error-box">
              <code>{step.error.code}</code> {step.error.message}
              <ErrorHelp code={step.error.code} />
            </div>
          ) : (
            <JsonTree value={step.result} openDepth={3} />
          )}
          {(step.reads.length > 0 || step.writes.length > 0) && (
            <div className="step-details__io muted">
              {step.reads.length > 0 && <div>Read: {step.reads.join(', ')}</div>}
              {step.writes.length > 0 && <div>Wrote: {step.writes.join(', ')}</div>}
            </div>
          )}
        </div>
      </section>
    </div>
  );
}
