import type { KeyboardEvent, PointerEvent } from 'react';
import { runDockStore, useRunDock } from '../store';
import { clampDockHeight, MIN_DOCK_HEIGHT } from '../store/run-dock-store';

const KEY_STEP = 24;

/**
 * The bar above the docked Run panel: drag it (or focus it and press ↑/↓) to give the panel
 * more or less of the window.
 */
export function DockResizer() {
  const height = useRunDock((s) => s.height);
  const max = Math.round(globalThis.innerHeight * 0.75);
  const resize = (next: number) => runDockStore.getState().setHeight(clampDockHeight(next, globalThis.innerHeight));

  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    event.preventDefault();
    const startY = event.clientY;
    const startHeight = runDockStore.getState().height;
    const target = event.currentTarget;
    target.setPointerCapture(event.pointerId);
    const onMove = (move: globalThis.PointerEvent) => resize(startHeight + (startY - move.clientY));
    const onUp = () => {
      target.removeEventListener('pointermove', onMove);
      target.removeEventListener('pointerup', onUp);
    };
    target.addEventListener('pointermove', onMove);
    target.addEventListener('pointerup', onUp);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'ArrowUp') resize(height + KEY_STEP);
    else if (event.key === 'ArrowDown') resize(height - KEY_STEP);
    else return;
    event.preventDefault();
  };

  return (
    <div
      className="dock-resizer"
      role="separator"
      aria-orientation="horizontal"
      aria-label="Resize the Run panel"
      aria-valuemin={MIN_DOCK_HEIGHT}
      aria-valuemax={max}
      aria-valuenow={height}
      tabIndex={0}
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
    />
  );
}
