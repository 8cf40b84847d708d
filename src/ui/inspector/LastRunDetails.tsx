import { ErrorHelp } from '../atoms/ErrorHelp';
import { JsonTree } from '../atoms/JsonTree';
import { useEditor, useRun } from '../store';
import { changedSinceRun } from '../store/run-store';

/** The selected block's last step in the shown run: outcome, error, result, keys read and written. */
export function LastRunDetails({ nodeId }: { nodeId: string }) {
  const step = useRun((s) => s.view.lastStep[nodeId]);
  const status = useRun((s) => s.view.status);
  const data = useEditor((s) => s.nodes.find((n) => n.id === nodeId)?.data);
  const changed = useRun((s) => changedSinceRun(s, nodeId, data));
  if (!step) {
    return (
      <div className="last-run last-run--empty">
        <div className="section-title">Last run</div>
        <div className="muted">{status === 'idle' ? 'Run the blueprint to see this block’s result here.' : 'This block did not run.'}</div>
      </div>
    );
  }
  return (
    <div className="last-run" aria-label="Last run of this block">
      <div className="section-title">
        Last run <span className={`badge badge--${step.error ? 'error' : 'success'}`}>{step.outcome}</span>
        <span className="muted"> {step.durationMs.toFixed(1)} ms</span>
      </div>
      {changed && (
        <div className="last-run__changed">Changed since this run: what follows is how it ran before. Run again to check it.</div>
      )}
      {step.error && (
        <div className="error-box" role="alert">
          <code>{step.error.code}</code> {step.error.message}
          <ErrorHelp code={step.error.code} />
        </div>
      )}
      {!step.error && (
        <>
          <div className="subsection-title">Result</div>
          <JsonTree value={step.result} />
        </>
      )}
      {step.logs && step.logs.length > 0 && (
        <>
          <div className="subsection-title">Logs</div>
          <pre className="step__logs step__logs--inspector" aria-label="Logs of this block">
            {step.logs.join('\n')}
          </pre>
        </>
      )}
      <div className="io-lists">
        <div>
          <div className="subsection-title">Read</div>
          {step.reads.length ? (
            step.reads.map((k) => (
              <code key={k} className="chip">
                {k}
              </code>
            ))
          ) : (
            <span className="muted">nothing</span>
          )}
        </div>
        <div>
          <div className="subsection-title">Wrote</div>
          {step.writes.length ? (
            step.writes.map((k) => (
              <code key={k} className="chip">
                {k}
              </code>
            ))
          ) : (
            <span className="muted">nothing</span>
          )}
        </div>
      </div>
    </div>
  );
}
