import { describe, expect, it } from 'vitest';
import { isTypingPlaceholder } from './unfinished-placeholder';

describe('isTypingPlaceholder', () => {
  it('is true while the caret sits at the end of an unclosed @{', () => {
    expect(isTypingPlaceholder('user_@{', 7)).toBe(true);
    expect(isTypingPlaceholder('user_@{inp', 10)).toBe(true);
    expect(isTypingPlaceholder('@{input.user', 12)).toBe(true);
    expect(isTypingPlaceholder('a_@{input.x}_@{st', 17)).toBe(true);
  });

  it('is false once the placeholder is closed, even closed wrongly', () => {
    expect(isTypingPlaceholder('user_@{input.x}', 15)).toBe(false);
    expect(isTypingPlaceholder('user_@{inp}', 11)).toBe(false);
    expect(isTypingPlaceholder('user_@{}', 8)).toBe(false);
  });

  it('is false when the caret is elsewhere or the field has no focus', () => {
    expect(isTypingPlaceholder('user_@{inp', 3)).toBe(false);
    expect(isTypingPlaceholder('user_@{inp', null)).toBe(false);
  });

  it('is false for text without a placeholder or with the \\@{ escape only', () => {
    expect(isTypingPlaceholder('bad key!', 8)).toBe(false);
    expect(isTypingPlaceholder('price_\\@{', 9)).toBe(false);
    expect(isTypingPlaceholder('@{input.a \\@{', 13)).toBe(true);
  });
});
