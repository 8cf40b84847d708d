import { useState } from 'react';
import type { JsonValue, KeyChange, RunRecord } from '../../engine/types';
import { describeChangedKey } from '../../kv/changes';
import { readServerToken } from '../api/server-backend';
import { notifyKeysChanged, useStorage } from '../api/storage';
import { toast, useRunMode } from '../store';
import { applyTestRun } from './apply-test-run';

function shortJson(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 48 ? `${text.slice(0, 45)}…` : text;
}

function ChangeItem({ change }: { change: KeyChange }) {
  return (
    <li className={`change change--${change.change}`} data-change={change.change}>
      <span className={`badge change__kind change__kind--${change.change}`}>{change.change}</span>
      <code className="change__key" title={describeChangedKey(change)}>
        {change.key}
      </code>
      {change.scope !== 'global' && <span className="change__scope muted">{change.scope}</span>}
      <span className="change__values">
        {change.change === 'created' && <span className="change__after">{shortJson(change.after!.value)}</span>}
        {change.change === 'updated' && (
          <>
            <span className="change__before">{shortJson(change.before!.value)}</span>
            <span aria-label="becomes"> → </span>
            <span className="change__after">{shortJson(change.after!.value)}</span>
          </>
        )}
        {change.change === 'deleted' && <del className="change__before">{shortJson(change.before!.value)}</del>}
      </span>
    </li>
  );
}

/**
 * After a test run: what it would change, key by key, with Apply changes (write them for real,
 * all or nothing) and Discard. Shown for the run on view until one of the two is chosen.
 */
export function TestRunChanges({ record }: { record: RunRecord }) {
  const outcome = useRunMode((s) => s.settled[record.runId]);
  const settle = useRunMode((s) => s.settle);
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  const choice = useStorage((s) => s.choice);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const changes = record.changes ?? [];

  const apply = async () => {
    if (!store) {
      setProblem('The store is not ready yet: wait a moment and apply again.');
      return;
    }
    setBusy(true);
    const result = await applyTestRun(record, {
      choice,
      store,
      companyId,
      baseUrl: globalThis.location?.origin ?? '',
      token: readServerToken(),
    });
    setBusy(false);
    if (result.ok) {
      setProblem(null);
      settle(record.runId, 'applied');
      notifyKeysChanged();
      toast('success', `Applied ${changes.length} change${changes.length === 1 ? '' : 's'} from the test run.`);
    } else setProblem(result.message);
  };

  return (
    <section className="test-run-changes" aria-label="Test run changes">
      <div className="test-run-changes__head">
        <span className="subsection-title">Changes</span>
        <span className="muted">
          {outcome === 'applied' ? 'applied to the store' : outcome === 'discarded' ? 'discarded' : 'test run: nothing was written yet'}
        </span>
      </div>
      {changes.length === 0 ? (
        <div className="muted">This test run changed no stored key.</div>
      ) : (
        <ul className="change-list" aria-label="Changes">
          {changes.map((change) => (
            <ChangeItem key={`${change.scope}:${change.scopeKey}:${change.key}`} change={change} />
          ))}
        </ul>
      )}
      {record.changesOmitted ? <div className="muted">… and {record.changesOmitted} more changes not listed.</div> : null}
      {problem && (
        <div className="run-error" role="alert" aria-label="Apply problem">
          <div className="run-error__message">{problem}</div>
        </div>
      )}
      {!outcome && changes.length > 0 && (
        <div className="test-run-changes__actions">
          <button type="button" className="btn btn--primary btn--small" disabled={busy} onClick={() => void apply()}>
            Apply changes
          </button>
          <button type="button" className="btn btn--small" disabled={busy} onClick={() => settle(record.runId, 'discarded')}>
            Discard
          </button>
        </div>
      )}
    </section>
  );
}
