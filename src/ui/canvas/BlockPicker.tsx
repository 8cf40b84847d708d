import { useEffect, useMemo, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { PALETTE } from '../../engine';
import type { PaletteEntry } from '../../engine/types';
import { BlockIcon } from '../atoms/BlockIcon';
import { blockTitle } from '../lib/block-title';
import { connectStore, editorStore, toast, useConnect, useEditor } from '../store';

/** Half a block, so the new block's input lands where the edge was dropped. */
const INPUT_OFFSET = { x: 0, y: 45 };
const PICKER_SIZE = { width: 240, height: 320 };

/**
 * The block picker: opened where an edge was dropped on empty canvas, it lists the palette
 * (filterable, arrow keys and Enter work) and adds the chosen block there, connected from the
 * out the edge came from. Escape or a click outside closes it.
 */
export function BlockPicker() {
  const picker = useConnect((s) => s.picker);
  if (!picker) return null;
  return <PickerMenu key={`${picker.screen.x},${picker.screen.y}`} />;
}

function PickerMenu() {
  const picker = useConnect((s) => s.picker)!;
  const [filter, setFilter] = useState('');
  const [active, setActive] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const entries = useMemo(
    () => PALETTE.filter((entry) => entry.type !== 'start' && entry.label.toLowerCase().includes(filter.trim().toLowerCase())),
    [filter],
  );
  const close = () => connectStore.getState().close();
  const sourceTitle = useEditor((s) => {
    const node = s.nodes.find((n) => n.id === picker.source);
    return node?.type ? blockTitle(node.type, node.data) : picker.source;
  });

  useEffect(() => {
    const onDown = (event: MouseEvent) => {
      if (box.current && !box.current.contains(event.target as Node)) connectStore.getState().close();
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, []);

  const choose = (entry: PaletteEntry) => {
    const position = { x: picker.flow.x - INPUT_OFFSET.x, y: picker.flow.y - INPUT_OFFSET.y };
    const { check } = editorStore
      .getState()
      .addConnectedBlock(entry, position, { source: picker.source, sourceHandle: picker.sourceHandle });
    if (!check.ok) toast('error', check.message);
    close();
  };

  const left = Math.min(picker.screen.x, globalThis.innerWidth - PICKER_SIZE.width - 8);
  const top = Math.min(picker.screen.y, globalThis.innerHeight - PICKER_SIZE.height - 8);
  return createPortal(
    <div
      ref={box}
      className="block-picker"
      role="dialog"
      aria-label="Add a connected block"
      style={{ left, top }}
      onKeyDown={(event) => {
        if (event.key === 'Escape') close();
        else if (event.key === 'ArrowDown') setActive((i) => Math.min(i + 1, entries.length - 1));
        else if (event.key === 'ArrowUp') setActive((i) => Math.max(i - 1, 0));
        else if (event.key === 'Enter' && entries[active]) choose(entries[active]);
        else return;
        event.preventDefault();
        event.stopPropagation();
      }}
    >
      <div className="block-picker__title">
        Add after <strong>{sourceTitle}</strong>{' '}
        <span className={`block-picker__out block-picker__out--${picker.sourceHandle}`}>{picker.sourceHandle}</span>
      </div>
      <input
        className="block-picker__filter"
        aria-label="Find a block"
        placeholder="Find a block…"
        autoFocus
        value={filter}
        onChange={(event) => {
          setFilter(event.target.value);
          setActive(0);
        }}
      />
      <ul className="block-picker__list" role="listbox" aria-label="Blocks to add">
        {entries.map((entry, index) => (
          <li key={entry.label} role="option" aria-selected={index === active}>
            <button
              type="button"
              className="block-picker__item"
              tabIndex={-1}
              onMouseEnter={() => setActive(index)}
              onClick={() => choose(entry)}
            >
              <BlockIcon type={entry.type} data={entry.data} />
              <span>{entry.label}</span>
            </button>
          </li>
        ))}
        {entries.length === 0 && <li className="block-picker__empty muted">No block matches.</li>}
      </ul>
    </div>,
    document.body,
  );
}
