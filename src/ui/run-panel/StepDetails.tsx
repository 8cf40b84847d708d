import type { StepRecord } from '../../engine/types';
import { ErrorHelp } from '../atoms/ErrorHelp';
import { JsonTree } from '../atoms/JsonTree';
import type { StepInput } from './step-inputs';

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
