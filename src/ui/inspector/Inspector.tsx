import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { manifestOf, validateNodeData } from '../../engine';
import type { CompletionSources } from '../../engine/completions';
import type { ExpressionContext } from '../../engine/expressions';
import type { BlockType, FieldKind, FieldSpec, JsonValue } from '../../engine/types';
import { useKeyList } from '../api/keys';
import { BlockIcon } from '../atoms/BlockIcon';
import { CollapsiblePanel } from '../atoms/CollapsiblePanel';
import { CommandButton } from '../commands/CommandButton';
import { blockTitle } from '../lib/block-title';
import { useEditor, useRun, useSidePanels } from '../store';
import type { FlowNode } from '../store/flow-model';
import { completionSourcesFor } from './completion-sources';
import { CodeField } from './CodeField';
import { FieldPreview } from './FieldPreview';
import { previewContextFor } from './preview';
import { ExpressionInput } from './ExpressionInput';
import { JsonField } from '../atoms/JsonField';
import { LastRunDetails } from './LastRunDetails';
import { PinControls } from './PinControls';
import { BlueprintSettings } from './BlueprintSettings';

export function Inspector() {
  const selected = useEditor(useShallow((s) => s.nodes.filter((n) => n.selected)));
  const single = selected.length === 1 ? selected[0] : undefined;
  const expanded = useSidePanels((s) => !s.collapsed.inspector);
  const toggle = useSidePanels((s) => s.toggle);
  return (
    <CollapsiblePanel title="Inspector" className="inspector" expanded={expanded} onToggle={() => toggle('inspector')}>
      {/* Keyed by the selection, so another block opens at its top, not at the last one's scroll position. */}
      <div className="panel-body" key={single?.id ?? (selected.length > 1 ? 'several' : 'none')}>
        {single ? (
          <BlockInspector key={single.id} node={single} />
        ) : selected.length > 1 ? (
          <MultiSelection count={selected.length} />
        ) : (
          <BlueprintSettings />
        )}
      </div>
    </CollapsiblePanel>
  );
}

function MultiSelection({ count }: { count: number }) {
  return (
    <div className="empty-state">
      <div className="empty-state__title">{count} blocks selected</div>
      <div className="inline-actions">
        <CommandButton name="duplicate" />
        <CommandButton name="deleteSelection" className="btn btn--ghost-danger" />
      </div>
    </div>
  );
}

/** Field kinds that hold `@{…}` expressions, and so get a live preview. */
const PREVIEWED_KINDS: readonly FieldKind[] = ['text', 'expression', 'json-or-text', 'number'];

function numberOrText(raw: string): JsonValue | undefined {
  if (raw.trim() === '') return undefined;
  const number = Number(raw);
  return Number.isFinite(number) && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? number : raw;
}

function BlockInspector({ node }: { node: FlowNode }) {
  const type = node.type as BlockType;
  const manifest = manifestOf(type);
  const update = useEditor((s) => s.updateNodeData);
  const meta = useEditor((s) => s.meta);
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const lastRun = useRun((s) => s.view.record);
  const stored = useKeyList({ scope: 'flow', scopeKey: meta.id }, '');
  const data = node.data;
  const problems = validateNodeData({ type, data: data as never }, meta);
  // Built at the first `@{` lookup after a change, not on each render: dragging the selected
  // block re-renders the Inspector every frame, and the stored keys can number thousands.
  const sources = useMemo(() => {
    let built: CompletionSources | null = null;
    return () => (built ??= completionSourcesFor({ nodeId: node.id, nodes, edges, lastRun, storedEntries: stored.data ?? [] }));
  }, [node.id, nodes, edges, lastRun, stored.data]);
  // The context the live previews evaluate in, rebuilt when the graph, the run or the keys change.
  const previewContext = useMemo(() => {
    let built: ExpressionContext | null = null;
    return () =>
      (built ??= previewContextFor({ nodeId: node.id, nodes, edges, meta, lastRun, storedEntries: stored.data ?? [], now: new Date() }));
  }, [node.id, nodes, edges, meta, lastRun, stored.data]);
  // The field whose caret is at the end of an unclosed `@{`: its error waits until the person
  // closes the placeholder or leaves the field, instead of flashing red on every keystroke.
  const [typingPlaceholderIn, setTypingPlaceholderIn] = useState<string | null>(null);
  const set = (patch: Record<string, unknown>) => update(node.id, patch);
  const visibleFields = manifest.fields.filter((f) => !f.visible || f.visible(data));

  const renderControl = (spec: FieldSpec, fieldId: string, problem: string | undefined) => {
    const raw = data[spec.name];
    const describedBy = problem ? `${fieldId}-problem` : spec.help || typingPlaceholderIn === spec.name ? `${fieldId}-help` : undefined;
    const onTypingPlaceholderChange = (typing: boolean) =>
      setTypingPlaceholderIn((current) => (typing ? spec.name : current === spec.name ? null : current));
    switch (spec.kind) {
      case 'select':
        return (
          <select
            id={fieldId}
            className="field__control"
            value={String(raw ?? spec.default ?? '')}
            onChange={(e) => set({ [spec.name]: e.target.value })}
            aria-describedby={describedBy}
          >
            {(spec.options ?? []).map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
        );
      case 'code':
        return (
          <CodeField
            id={fieldId}
            labelId={`${fieldId}-label`}
            value={typeof raw === 'string' ? raw : ''}
            onChange={(text) => set({ [spec.name]: text })}
            describedBy={describedBy}
          />
        );
      case 'json':
        return <JsonField id={fieldId} value={raw as JsonValue | undefined} onChange={(value) => set({ [spec.name]: value })} />;
      case 'number':
        return (
          <ExpressionInput
            id={fieldId}
            value={raw === undefined || raw === null ? '' : String(raw)}
            onChange={(text) => set({ [spec.name]: numberOrText(text) })}
            sources={sources}
            placeholder={spec.default !== undefined ? String(spec.default) : spec.placeholder}
            invalid={problem !== undefined}
            describedBy={describedBy}
            onTypingPlaceholderChange={onTypingPlaceholderChange}
          />
        );
      default:
        return (
          <ExpressionInput
            id={fieldId}
            value={typeof raw === 'string' ? raw : ''}
            onChange={(text) => set({ [spec.name]: text })}
            sources={sources}
            multiline={spec.kind === 'json-or-text'}
            placeholder={spec.placeholder}
            invalid={problem !== undefined}
            describedBy={describedBy}
            onTypingPlaceholderChange={onTypingPlaceholderChange}
          />
        );
    }
  };

  return (
    <div className="block-inspector">
      <div className="block-inspector__head">
        <BlockIcon type={type} data={data} />
        <div>
          <div className="block-inspector__title">{blockTitle(type, data)}</div>
          <div className="block-inspector__sub">
            {manifest.label} · <code>{node.id}</code>
          </div>
        </div>
      </div>
      <p className="block-inspector__description">{manifest.description}</p>
      {visibleFields.map((spec) => {
        const fieldId = `field-${node.id}-${spec.name}`;
        const typingPlaceholder = typingPlaceholderIn === spec.name;
        const problem = typingPlaceholder ? undefined : problems.find((p) => p.field === spec.name)?.message;
        return (
          <div key={spec.name} className="field">
            <div className="field__label-row">
              <label htmlFor={fieldId} id={`${fieldId}-label`} className="field__label">
                {spec.label}
              </label>
              {spec.required && (
                <span className="field__required" title="Required">
                  *
                </span>
              )}
            </div>
            {renderControl(spec, fieldId, problem)}
            {PREVIEWED_KINDS.includes(spec.kind) && !typingPlaceholder && !problem && (
              <FieldPreview
                fieldId={fieldId}
                label={spec.label}
                text={typeof data[spec.name] === 'string' ? (data[spec.name] as string) : ''}
                valueType={spec.kind === 'json-or-text' && data.valueType === 'json' ? 'json' : 'text'}
                context={previewContext}
                fromRun={lastRun !== null}
              />
            )}
            {problem ? (
              <div id={`${fieldId}-problem`} className="field__problem" role="alert">
                {problem}
              </div>
            ) : typingPlaceholder ? (
              <div id={`${fieldId}-help`} className="field__help field__help--typing">
                Finish the placeholder with <code>{'}'}</code>; it is checked when you do.
              </div>
            ) : (
              spec.help && (
                <div id={`${fieldId}-help`} className="field__help">
                  {spec.help}
                </div>
              )
            )}
          </div>
        );
      })}
      <details className="field-group">
        <summary>Display name and alias</summary>
        <div className="field">
          <label htmlFor={`field-${node.id}-label`} className="field__label">
            Display name
          </label>
          <input
            id={`field-${node.id}-label`}
            className="field__control"
            value={typeof data.label === 'string' ? data.label : ''}
            placeholder={blockTitle(type, { ...data, label: undefined })}
            onChange={(e) => set({ label: e.target.value || undefined })}
          />
        </div>
        <div className="field">
          <label htmlFor={`field-${node.id}-ref`} className="field__label">
            Alias (ref)
          </label>
          <input
            id={`field-${node.id}-ref`}
            className="field__control"
            value={typeof data.ref === 'string' ? data.ref : ''}
            placeholder="usable as @{results.alias}"
            onChange={(e) => set({ ref: e.target.value || undefined })}
          />
        </div>
      </details>
      <PinControls nodeId={node.id} />
      <LastRunDetails nodeId={node.id} />
    </div>
  );
}
