/**
 * The two ways to connect that need a choice first: the block picker opened where an edge
 * was dropped on empty canvas, and the "Connect to…" dialog a keyboard user opens on a block.
 * Which one is open, and from which out, lives here so the command table can open them.
 */
import type { XYPosition } from '@xyflow/react';
import { createStore } from 'zustand/vanilla';

export interface PickerRequest {
  /** Where the edge was dropped, in screen pixels (the picker opens there). */
  screen: XYPosition;
  /** The same point on the canvas, where the new block goes. */
  flow: XYPosition;
  source: string;
  sourceHandle: string;
}

export interface ConnectState {
  picker: PickerRequest | null;
  /** The block the "Connect to…" dialog connects from, or null when it is closed. */
  connectFrom: string | null;
  openPicker(request: PickerRequest): void;
  openConnectDialog(source: string): void;
  close(): void;
}

export function createConnectStore() {
  return createStore<ConnectState>()((set) => ({
    picker: null,
    connectFrom: null,
    openPicker: (picker) => set({ picker, connectFrom: null }),
    openConnectDialog: (connectFrom) => set({ connectFrom, picker: null }),
    close: () => set({ picker: null, connectFrom: null }),
  }));
}
