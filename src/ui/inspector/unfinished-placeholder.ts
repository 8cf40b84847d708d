/**
 * Whether a person is still typing a placeholder: the caret is at the end of the text and the
 * last `@{` there (not the `\@{` escape) has no `}` after it yet. The Inspector holds back the
 * field's error in that moment, since "the placeholder is not closed" is only true until the
 * next keystroke; once the field loses focus, or the placeholder is closed wrongly, the error shows.
 */
export function isTypingPlaceholder(text: string, caret: number | null): boolean {
  if (caret === null || caret !== text.length) return false;
  const openAt = lastUnescapedOpening(text);
  return openAt !== -1 && !text.includes('}', openAt + 2);
}

function lastUnescapedOpening(text: string): number {
  let at = text.lastIndexOf('@{');
  while (at > 0 && text[at - 1] === '\\') at = text.lastIndexOf('@{', at - 1);
  return at;
}
