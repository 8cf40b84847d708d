import { describe, expect, it } from 'vitest';
import { expressionForPath, relativeTime } from './key-paths';

describe('copying a stored value path as an expression', () => {
  it('writes dot paths for plain segments and indexes', () => {
    expect(expressionForPath('flow', 'profile', ['address', 'city'])).toBe('@{kv.profile.address.city}');
    expect(expressionForPath('flow', 'tasks', [0, 'title'])).toBe('@{kv.tasks.0.title}');
  });

  it('uses the root of the scope and brackets for other characters', () => {
    expect(expressionForPath('global', 'config', ['feature flags'])).toBe('@{kvGlobal.config["feature flags"]}');
    expect(expressionForPath('flow_group', 'x', [])).toBe('@{kvGroup.x}');
  });

  it('describes recent times briefly', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(relativeTime('2026-01-01T11:59:58Z', now)).toBe('just now');
    expect(relativeTime('2026-01-01T11:57:00Z', now)).toBe('3 min ago');
    expect(relativeTime('2025-12-31T12:00:00Z', now)).toBe('yesterday');
  });
});
