import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { outsOf } from '../../engine';
import type { BlockType, Out } from '../../engine/types';
import { Dialog } from '../atoms/Dialog';
import { blockTitle } from '../lib/block-title';
import { connectStore, editorStore, toast, useConnect, useEditor } from '../store';

/**
 * "Connect to…": the keyboard way to draw an edge. Pick the out of the block it was opened on,
 * then the block to connect it to; Tab and Enter are enough.
 */
export function ConnectDialog() {
  const source = useConnect((s) => s.connectFrom);
  if (!source) return null;
  return <ConnectDialogBody key={source} source={source} />;
}

function ConnectDialogBody({ source }: { source: string }) {
  const from = useEditor((s) => s.nodes.find((n) => n.id === source));
  // Flat strings, so the shallow comparison holds between renders ("id\u0000title").
  const targets = useEditor(
    useShallow((s) => s.nodes.filter((n) => n.type !== 'start').map((n) => `${n.id}\u0000${blockTitle(n.type!, n.data)}`)),
  ).map((pair) => {
    const [id = '', title = ''] = pair.split('\u0000');
    return { id, title };
  });
  const outs: readonly Out[] = from ? outsOf(from.type as BlockType) : [];
  const [out, setOut] = useState<Out | undefined>(outs[0]);
  const close = () => connectStore.getState().close();
  if (!from || !out) return null;
  const connectTo = (target: string) => {
    const check = editorStore.getState().connect({ source, sourceHandle: out, target, targetHandle: null });
    if (!check.ok) {
      toast('error', check.message);
      return;
    }
    toast(
      'success',
      `Connected “${blockTitle(from.type!, from.data)}” ${out} to “${targets.find((t) => t.id === target)?.title ?? target}”.`,
    );
    close();
  };
  return (
    <Dialog title="Connect to…" onClose={close}>
      <p className="dialog__lead">
        From <strong>{blockTitle(from.type!, from.data)}</strong>
      </p>
      <div className="field">
        <label className="field__label" htmlFor="connect-out">
          Out
        </label>
        <select id="connect-out" className="field__control" value={out} onChange={(e) => setOut(e.target.value as Out)} data-autofocus>
          {outs.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </div>
      <div className="field__label">To block</div>
      <ul className="connect-targets" aria-label="Blocks to connect to">
        {targets.map((target) => (
          <li key={target.id}>
            <button type="button" className="btn connect-targets__item" onClick={() => connectTo(target.id)}>
              {target.title}
              {target.id === source ? ' (itself)' : ''}
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
