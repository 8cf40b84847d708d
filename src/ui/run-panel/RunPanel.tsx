import { Fragment, useDeferredValue, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { JsonValue, RunRecord } from '../../engine/types';
import { blockTitle } from '../lib/block-title';
import { COMMANDS } from '../commands/editor-commands';
import { shortcutLabel } from '../commands/registry';
import { editorStore, useEditor, useLibrary, useRun, useRunDock, useSidePanels } from '../store';
import { Icon } from '../atoms/Icon';
import { LIVE_STEPS } from '../store/run-state';
import { stepInputs } from './step-inputs';
import { StepDetails } from './StepDetails';
import type { FlowNode } from '../store/flow-model';
import { CollapsiblePanel } from '../atoms/CollapsiblePanel';
import { JsonTree } from '../atoms/JsonTree';
import { ErrorHelp } from '../atoms/ErrorHelp';
import { RunErrorBanner } from './RunErrorBanner';
import { RunInputField } from './RunInputField';
import { TestRunChanges } from './TestRunChanges';

function titlesOf(nodes: readonly FlowNode[]): Record<string, string> {
  const titles: Record<string, string> = {};
  for (const node of nodes) if (node.type) titles[node.id] = blockTitle(node.type, node.data);
  return titles;
}

/** The docked panel's right side: the picked step's input and output. */
function SelectedStep({ index, titles }: { index: number; titles: Readonly<Record<string, string>> }) {
  const steps = useRun((s) => s.view.steps);
  const runInput = useRun((s) => s.view.record?.input ?? null);
  const edges = useEditor((s) => s.edges);
  // Positions order the hand-overs like the runner did; read now, so a drag does not re-render this.
  const inputs = useMemo(() => stepInputs(steps, runInput, editorStore.getState().nodes, edges), [steps, runInput, edges]);
  const step = steps[index];
  const input = inputs[index];
  if (!step || !input) return null;
  return <StepDetails index={index} steps={steps} input={input} titles={titles} />;
}

/** Moves the Run panel between the right column and the bottom of the canvas. */
function DockToggle({ docked }: { docked: boolean }) {
  const setDocked = useRunDock((s) => s.setDocked);
  const label = docked ? 'Move the Run panel to the right column' : 'Dock the Run panel at the bottom';
  return (
    <button
      type="button"
      className="panel-title__action"
      aria-label={label}
      title={label}
      aria-pressed={docked}
      onClick={() => setDocked(!docked)}
    >
      <Icon name={docked ? 'dockRight' : 'dockBottom'} />
    </button>
  );
}

function durationOf(record: RunRecord): string {
  const ms = Date.parse(record.finishedAt) - Date.parse(record.startedAt);
  return Number.isFinite(ms) ? `${ms} ms` : '';
}

/** The lines a block logged (a Code block's console.log), as a console shows them. */
function StepLogs({ lines }: { lines: readonly string[] }) {
  return (
    <pre className="step__logs" aria-label="Logs">
      {lines.map((line, index) => (
        <div key={index} className="step__log-line">
          {line}
        </div>
      ))}
    </pre>
  );
}

/** The Run panel, in the right column or (`docked`) under the canvas with the selected step's input and output beside the log. */
export function RunPanel({ docked = false }: { docked?: boolean }) {
  const view = useRun((s) => s.view);
  const show = useRun((s) => s.show);
  const runs = useLibrary((s) => s.runs);
  // The start block and the blocks' titles, not the nodes: a drag on the canvas need not
  // re-render the step log and its outputs.
  const start = useEditor((s) => s.nodes.find((n) => n.type === 'start'));
  const titles = useEditor(useShallow((s) => titlesOf(s.nodes)));
  const selectOnly = useEditor((s) => s.selectOnly);
  const [picked, setPicked] = useState<{ runId: string | null; index: number } | null>(null);
  const [tab, setTab] = useState<'log' | 'history' | 'input'>('log');
  const expanded = useSidePanels((s) => !s.collapsed.run);
  const toggle = useSidePanels((s) => s.toggle);
  const statusWord = view.status === 'idle' ? 'not run yet' : view.status;
  // The step picked in this run, else the failed one, else the last.
  const failedAt = view.steps.findLastIndex((step) => step.error !== null);
  const selectedStep =
    picked && picked.runId === view.runId && picked.index < view.steps.length
      ? picked.index
      : failedAt >= 0
        ? failedAt
        : view.steps.length - 1;
  // While a run goes, the log follows its last steps only (a fast run changes them every
  // frame); every kept step is listed once it ends.
  // The list renders from a deferred copy of the view: the 400 rows of a long run that just
  // ended are built in the background, in slices, not in one long task.
  const listed = useDeferredValue(view);
  const firstShown = listed.status === 'running' ? Math.max(0, listed.steps.length - LIVE_STEPS) : 0;
  const stepNumber = (index: number) => index + 1 + (listed.stepsOmitted > 0 && index >= listed.stepsGapAt ? listed.stepsOmitted : 0);
  const pickStep = (index: number) => {
    setPicked({ runId: view.runId, index });
    selectOnly([listed.steps[index]!.nodeId]);
  };

  return (
    <CollapsiblePanel
      title="Run"
      className="run-panel"
      expanded={expanded}
      onToggle={() => toggle('run')}
      aside={
        <>
          <span className={`run-status run-status--${view.status}`} data-status={view.status} aria-live="polite">
            {view.status === 'running' && <span className="spinner spinner--small" aria-hidden="true" />}
            {statusWord}
          </span>
          <DockToggle docked={docked} />
        </>
      }
    >
      <div className="tabs" role="tablist" aria-label="Run views">
        <button type="button" role="tab" aria-selected={tab === 'log'} className="tab" onClick={() => setTab('log')}>
          Steps{view.steps.length ? ` (${view.steps.length + view.stepsOmitted})` : ''}
        </button>
        <button type="button" role="tab" aria-selected={tab === 'input'} className="tab" onClick={() => setTab('input')}>
          Input
        </button>
        <button type="button" role="tab" aria-selected={tab === 'history'} className="tab" onClick={() => setTab('history')}>
          Last runs{runs.length ? ` (${runs.length})` : ''}
        </button>
      </div>
      <div className="panel-body run-panel__body">
        {tab === 'log' &&
          (view.status === 'idle' ? (
            <div className="empty-state">
              <div className="empty-state__title">No run yet</div>
              <div className="muted">
                Press <kbd>{shortcutLabel(COMMANDS.run.shortcuts[0])}</kbd> or the Run button in the toolbar.
              </div>
            </div>
          ) : (
            <div className={docked ? 'run-dock__log' : 'run-log'}>
              <div className="run-dock__steps">
                {view.error && (
                  <RunErrorBanner
                    error={view.error}
                    blockTitle={view.error.nodeId ? (titles[view.error.nodeId] ?? null) : null}
                    onSelectBlock={(id) => selectOnly([id])}
                  />
                )}
                {/* A test run's point is what it would change: first, above the steps. */}
                {view.record?.sandbox && <TestRunChanges record={view.record} />}
                <ol className="step-log" aria-label="Step log">
                  {firstShown > 0 && (
                    <li className="step-log__gap">
                      {(firstShown + listed.stepsOmitted).toLocaleString('en-US')} earlier steps, listed when the run ends
                    </li>
                  )}
                  {listed.steps.map((step, index) =>
                    index < firstShown ? null : (
                      <Fragment key={stepNumber(index)}>
                        {firstShown === 0 && listed.stepsOmitted > 0 && index === listed.stepsGapAt && (
                          <li className="step-log__gap">
                            {listed.stepsOmitted.toLocaleString('en-US')} steps not kept: a long run keeps its first and last steps
                          </li>
                        )}
                        <li
                          className={`step step--${step.error ? 'error' : 'success'}${docked && index === selectedStep ? ' step--picked' : ''}`}
                          aria-current={docked && index === selectedStep ? 'step' : undefined}
                        >
                          <button type="button" className="step__button" onClick={() => pickStep(index)} title="Select this block">
                            <span className="step__index">{stepNumber(index)}</span>
                            <span className="step__title">{titles[step.nodeId] ?? step.nodeId}</span>
                            <span className={`badge badge--${step.error ? 'error' : step.outcome === 'false' ? 'muted' : 'success'}`}>
                              {step.outcome}
                            </span>
                            <span className="step__duration">{step.durationMs.toFixed(1)} ms</span>
                          </button>
                          {step.logs && step.logs.length > 0 && <StepLogs lines={step.logs} />}
                          {/* Docked, the picked step's pane holds the message and its help: the log keeps one line per step. */}
                          {step.error && !docked && (
                            <div className="step__error">
                              {step.error.code}: {step.error.message}
                              <ErrorHelp code={step.error.code} />
                            </div>
                          )}
                        </li>
                      </Fragment>
                    ),
                  )}
                  {view.status === 'running' && (
                    <li className="step step--running">
                      <span className="spinner spinner--small" aria-hidden="true" /> running…
                    </li>
                  )}
                </ol>
                {view.record && view.record.outputs.length > 0 && (
                  <div className="run-outputs">
                    <div className="subsection-title">Outputs</div>
                    {view.record.outputs.map((output, index) => (
                      <JsonTree key={index} value={output} openDepth={1} />
                    ))}
                  </div>
                )}
              </div>
              {docked && selectedStep >= 0 && <SelectedStep index={selectedStep} titles={titles} />}
            </div>
          ))}
        {tab === 'input' &&
          (start ? (
            <RunInputField startId={start.id} sampleInput={start.data.sampleInput as JsonValue | undefined} />
          ) : (
            <div className="empty-state">
              <div className="muted">Add a Start block to give the run an input.</div>
            </div>
          ))}
        {tab === 'history' &&
          (runs.length === 0 ? (
            <div className="empty-state">
              <div className="muted">Runs of this blueprint appear here.</div>
            </div>
          ) : (
            <ul className="run-history" aria-label="Last runs">
              {runs.map((record) => (
                <li key={record.runId}>
                  <button
                    type="button"
                    className={`run-history__item${record.runId === view.runId ? ' run-history__item--current' : ''}`}
                    onClick={() => {
                      show(record);
                      setTab('log');
                    }}
                  >
                    <span
                      className={`badge badge--${record.status === 'succeeded' ? 'success' : record.status === 'failed' ? 'error' : 'muted'}`}
                    >
                      {record.status}
                    </span>
                    <span>{new Date(record.startedAt).toLocaleTimeString()}</span>
                    <span className="muted">
                      {record.steps.length + (record.stepsOmitted ?? 0)} steps · {durationOf(record)}
                      {record.sandbox ? ' · test run' : ''}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          ))}
      </div>
    </CollapsiblePanel>
  );
}
