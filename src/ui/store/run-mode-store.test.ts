import { describe, expect, it } from 'vitest';
import {
  RUN_MODE_DEFAULT_STORAGE_KEY,
  RUN_MODE_STORAGE_KEY,
  blueprintWrites,
  createRunModeStore,
  effectiveRunMode,
  parseRunModes,
} from './run-mode-store';

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), items };
}

describe('run mode', () => {
  it('defaults to Test run for a blueprint that writes, Live run for one that only reads', () => {
    const writer = [{ type: 'kv', data: { action: 'increment' } }];
    const reader = [
      { type: 'kv', data: { action: 'get' } },
      { type: 'output', data: {} },
    ];
    expect(blueprintWrites(writer)).toBe(true);
    expect(blueprintWrites(reader)).toBe(false);
    expect(effectiveRunMode({}, 'bp', true)).toBe('test');
    expect(effectiveRunMode({}, 'bp', false)).toBe('live');
    expect(effectiveRunMode({ bp: 'live' }, 'bp', true)).toBe('live');
  });

  it('remembers the choice per blueprint across reloads', () => {
    const storage = memoryStorage();
    const first = createRunModeStore(storage);
    first.getState().setMode('a', 'live');
    first.getState().setMode('b', 'test');
    const reloaded = createRunModeStore(storage);
    expect(reloaded.getState().chosen).toEqual({ a: 'live', b: 'test' });
  });

  it('ignores a damaged stored value', () => {
    expect(parseRunModes('not json')).toEqual({});
    expect(parseRunModes('{"a":"maybe","b":"live"}')).toEqual({ b: 'live' });
    expect(createRunModeStore(memoryStorage({ [RUN_MODE_STORAGE_KEY]: '[1]' })).getState().chosen).toEqual({});
  });
});

describe('the stored default for every blueprint', () => {
  it('stands in for blueprints without a choice of their own', () => {
    expect(effectiveRunMode({}, 'bp', true, 'live')).toBe('live');
    expect(effectiveRunMode({ bp: 'test' }, 'bp', true, 'live')).toBe('test');
    const store = createRunModeStore(memoryStorage({ [RUN_MODE_DEFAULT_STORAGE_KEY]: 'live' }));
    expect(store.getState().fallback).toBe('live');
  });
});
