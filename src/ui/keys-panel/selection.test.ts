import { describe, expect, it } from 'vitest';
import { countLabel, rangeBetween, splitAtMatch } from './selection';

describe('keys list selection helpers', () => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  it('a shift-click range covers both ends in list order, whichever was clicked first', () => {
    expect(rangeBetween(names, 'b', 'd')).toEqual(['b', 'c', 'd']);
    expect(rangeBetween(names, 'd', 'b')).toEqual(['b', 'c', 'd']);
    expect(rangeBetween(names, 'c', 'c')).toEqual(['c']);
  });
  it('a range from an anchor that is no longer listed selects only the clicked key', () => {
    expect(rangeBetween(names, 'gone', 'c')).toEqual(['c']);
  });
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
