import { describe, expect, it } from 'vitest';
import { countLabel, splitAtMatch } from './selection';

describe('keys list selection helpers', () => {
  it('counts read as people write them', () => {
    expect(countLabel(1)).toBe('1 key');
    expect(countLabel(100_000)).toBe('100,000 keys');
  });
  it('the match is found anywhere in the name, ignoring case, and keeps the name’s own case', () => {
    expect(splitAtMatch('user_Key-01', 'key-0')).toEqual({ before: 'user_', match: 'Key-0', after: '1' });
    expect(splitAtMatch('abc', 'x')).toBeNull();
    expect(splitAtMatch('abc', '')).toBeNull();
  });
});
