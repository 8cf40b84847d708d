import { useState } from 'react';
import type { JsonValue } from '../../engine/types';

export interface JsonTreeProps {
  value: JsonValue;
  /** When given, every row offers to copy its path (`["a", "b"]` → whatever the caller formats). */
  onCopyPath?: (path: (string | number)[]) => void;
  /** Levels open at first. */
  openDepth?: number;
}

/** A collapsible JSON viewer. */
export function JsonTree({ value, onCopyPath, openDepth = 2 }: JsonTreeProps) {
  return (
    <div className="json-tree" role="tree">
      <JsonRow name={null} value={value} path={[]} depth={0} openDepth={openDepth} onCopyPath={onCopyPath} />
    </div>
  );
}

function preview(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.length}]`;
  if (value !== null && typeof value === 'object') return `{${Object.keys(value).length}}`;
  return JSON.stringify(value);
}

function JsonRow({
  name,
  value,
  path,
  depth,
  openDepth,
  onCopyPath,
}: {
  name: string | number | null;
  value: JsonValue;
  path: (string | number)[];
  depth: number;
  openDepth: number;
  onCopyPath: JsonTreeProps['onCopyPath'];
}) {
  const [open, setOpen] = useState(depth < openDepth);
  const isContainer = value !== null && typeof value === 'object';
  const entries: [string | number, JsonValue][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : isContainer
      ? Object.entries(value as Record<string, JsonValue>)
      : [];
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return (
    <div className="json-tree__node" role="treeitem" aria-expanded={isContainer ? open : undefined}>
      <div className="json-tree__row" style={{ paddingLeft: depth * 14 }}>
        {isContainer ? (
          <button type="button" className="json-tree__toggle" onClick={() => setOpen(!open)} aria-label={open ? 'Collapse' : 'Expand'}>
            {open ? '▾' : '▸'}
          </button>
        ) : (
          <span className="json-tree__toggle" />
        )}
        {name !== null && <span className="json-tree__key">{typeof name === 'number' ? name : name}:</span>}
        <span className={`json-tree__value json-tree__value--${kind}`}>{preview(value)}</span>
        {onCopyPath && path.length > 0 && (
          <button type="button" className="json-tree__copy" title="Copy as expression" onClick={() => onCopyPath(path)}>
            copy path
          </button>
        )}
      </div>
      {isContainer &&
        open &&
        entries.map(([key, child]) => (
          <JsonRow
            key={key}
            name={key}
            value={child}
            path={[...path, key]}
            depth={depth + 1}
            openDepth={openDepth}
            onCopyPath={onCopyPath}
          />
        ))}
      {isContainer && open && entries.length === 0 && (
        <div className="json-tree__empty" style={{ paddingLeft: (depth + 1) * 14 + 18 }}>
          {Array.isArray(value) ? 'empty array' : 'empty object'}
        </div>
      )}
    </div>
  );
}
