import { useReactFlow } from '@xyflow/react';
import type { DragEvent } from 'react';
import { outsOf, PALETTE, PALETTE_GROUPS } from '../../engine';
import type { PaletteEntry } from '../../engine/types';
import { BlockIcon } from '../atoms/BlockIcon';
import { FIT_VIEW_OPTIONS, PALETTE_DRAG_TYPE } from '../lib/view-options';
import { editorStore, toast, useEditor } from '../store';
import { freeSpotNear, spotRightOf } from './placement';

/** About a block's size in flow units, to tell whether a new one is in view. */
const BLOCK_SIZE = { width: 210, height: 110 };

/** The palette's sections, each with its entries in the order the block list gives them. */
const GROUPS = PALETTE_GROUPS.map((title) => ({ title, entries: PALETTE.filter((entry) => entry.group === title) }));

export function Palette() {
  const addBlock = useEditor((s) => s.addBlock);
  // A boolean, not the nodes: a drag on the canvas need not re-render the palette.
  const hasStart = useEditor((s) => s.nodes.some((n) => n.type === 'start'));
  const flow = useReactFlow();

  const addConnectedBlock = useEditor((s) => s.addConnectedBlock);
  // One block selected: the new one goes to its right, connected from its success out, so a
  // chain is built by clicks alone.
  const selectedWithSuccess = useEditor((s) => {
    const selected = s.nodes.filter((n) => n.selected);
    return selected.length === 1 && selected[0]!.type && outsOf(selected[0]!.type).includes('success') ? selected[0]!.id : null;
  });

  const add = (entry: PaletteEntry) => {
    const from = selectedWithSuccess ? editorStore.getState().nodes.find((n) => n.id === selectedWithSuccess) : undefined;
    if (!from) {
      addAtCentre(entry);
      return;
    }
    const spot = spotRightOf(
      from.position,
      flow.getNodes().map((n) => n.position),
    );
    const { check } = addConnectedBlock(entry, spot, { source: from.id, sourceHandle: 'success' });
    if (!check.ok) toast('error', check.message);
    keepInView(spot);
  };

  // A chain grows to the right: once its new block would leave the canvas, fit the view to it.
  const keepInView = (spot: { x: number; y: number }) => {
    const pane = document.querySelector('.canvas .react-flow')?.getBoundingClientRect();
    if (!pane) return;
    const topLeft = flow.flowToScreenPosition(spot);
    const bottomRight = flow.flowToScreenPosition({ x: spot.x + BLOCK_SIZE.width, y: spot.y + BLOCK_SIZE.height });
    if (topLeft.x >= pane.left && topLeft.y >= pane.top && bottomRight.x <= pane.right && bottomRight.y <= pane.bottom) return;
    globalThis.requestAnimationFrame(() => void flow.fitView({ ...FIT_VIEW_OPTIONS, duration: 200 }));
  };

  const addAtCentre = (entry: PaletteEntry) => {
    const pane = document.querySelector('.canvas .react-flow')?.getBoundingClientRect();
    const centre = pane ? flow.screenToFlowPosition({ x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 }) : { x: 0, y: 0 };
    addBlock(
      entry,
      freeSpotNear(
        centre,
        flow.getNodes().map((n) => n.position),
      ),
    );
  };

  const onDragStart = (event: DragEvent, entry: PaletteEntry) => {
    event.dataTransfer.setData(PALETTE_DRAG_TYPE, entry.label);
    event.dataTransfer.effectAllowed = 'copy';
  };

  return (
    <aside className="palette" role="region" aria-label="Blocks">
      <div className="panel-title">Blocks</div>
      {GROUPS.map((group) => (
        <div key={group.title} className="palette__group">
          <div className="palette__group-title">{group.title}</div>
          {group.entries.map((entry) => {
            const { label } = entry;
            const disabled = entry.type === 'start' && hasStart;
            return (
              <button
                key={label}
                type="button"
                className="palette__item"
                draggable={!disabled}
                disabled={disabled}
                onDragStart={(e) => onDragStart(e, entry)}
                onClick={() => add(entry)}
                title={
                  disabled
                    ? 'A blueprint has one Start block'
                    : selectedWithSuccess
                      ? 'Click to add after the selected block, connected from its success out'
                      : 'Drag onto the canvas, or click to add at the centre'
                }
              >
                <BlockIcon type={entry.type} data={entry.data} />
                <span>{label}</span>
              </button>
            );
          })}
        </div>
      ))}
      <div className="palette__hint">
        Drag a block onto the canvas, then drag an out (right) onto another block. With a block selected, a click adds the next block after
        it, connected.
      </div>
    </aside>
  );
}
