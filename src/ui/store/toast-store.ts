/** Short-lived messages: refused connections, failed imports, saved keys. */
import { createStore } from 'zustand/vanilla';

export type ToastTone = 'info' | 'success' | 'error';

export interface Toast {
  id: number;
  tone: ToastTone;
  message: string;
}

export interface ToastState {
  toasts: Toast[];
  push(tone: ToastTone, message: string): void;
  dismiss(id: number): void;
}

const TOAST_MS = 4500;
const MAX_TOASTS = 4;

export function createToastStore() {
  let nextId = 1;
  return createStore<ToastState>()((set, get) => ({
    toasts: [],
    push(tone, message) {
      const id = nextId++;
      set((s) => ({ toasts: [...s.toasts, { id, tone, message }].slice(-MAX_TOASTS) }));
      globalThis.setTimeout(() => get().dismiss(id), TOAST_MS);
    },
    dismiss(id) {
      set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
    },
  }));
}
