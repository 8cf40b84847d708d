import { describe, expect, it } from 'vitest';
import { createSidePanelsStore, parseCollapsedPanels, sideGridRows, SIDE_PANELS_STORAGE_KEY } from './side-panels-store';

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    items,
  };
}

describe('side panels', () => {
  it('opens every panel when nothing or something unreadable is remembered', () => {
    const allOpen = { inspector: false, keys: false, run: false };
    expect(parseCollapsedPanels(null)).toEqual(allOpen);
    expect(parseCollapsedPanels('not json')).toEqual(allOpen);
    expect(parseCollapsedPanels('[true]')).toEqual({ ...allOpen });
    expect(parseCollapsedPanels('{"keys":"yes"}')).toEqual(allOpen);
  });

  it('gives a folded panel its header height and the open ones the room', () => {
    expect(sideGridRows({ inspector: false, keys: false, run: false })).toBe('minmax(0, 1.45fr) minmax(0, 1fr) minmax(0, 0.95fr)');
    expect(sideGridRows({ inspector: false, keys: true, run: true })).toBe('minmax(0, 1.45fr) auto auto');
  });

  it('remembers a toggle in storage and reads it back in a new store', () => {
    const storage = memoryStorage();
    const store = createSidePanelsStore(storage);
    store.getState().toggle('keys');
    expect(store.getState().collapsed).toEqual({ inspector: false, keys: true, run: false });
    expect(JSON.parse(storage.items.get(SIDE_PANELS_STORAGE_KEY) ?? '{}')).toEqual({ inspector: false, keys: true, run: false });
    const reloaded = createSidePanelsStore(storage);
    expect(reloaded.getState().collapsed.keys).toBe(true);
    reloaded.getState().toggle('keys');
    expect(createSidePanelsStore(storage).getState().collapsed.keys).toBe(false);
  });

  it('keeps working when storage refuses to be read or written', () => {
    const refusing = {
      getItem: () => {
        throw new Error('blocked');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    const store = createSidePanelsStore(refusing);
    expect(store.getState().collapsed.run).toBe(false);
    store.getState().toggle('run');
    expect(store.getState().collapsed.run).toBe(true);
  });
});
