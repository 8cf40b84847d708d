import { describe, expect, it } from 'vitest';
import { COMPLETIONS_MAX_HEIGHT, placeCompletions } from './completion-placement';

describe('placeCompletions', () => {
  it('opens below the field at full height when there is room', () => {
    const placement = placeCompletions({ left: 100, top: 280, bottom: 310, width: 330 }, 900);
    expect(placement).toEqual({ left: 100, width: 330, top: 312, maxHeight: COMPLETIONS_MAX_HEIGHT });
  });

  it('opens above a field near the bottom of the window', () => {
    const placement = placeCompletions({ left: 100, top: 800, bottom: 830, width: 330 }, 900);
    expect(placement.top).toBeUndefined();
    expect(placement.bottom).toBe(900 - 800 + 2);
    expect(placement.maxHeight).toBe(COMPLETIONS_MAX_HEIGHT);
  });

  it('shrinks to the larger side when neither side has full room', () => {
    const below = placeCompletions({ left: 0, top: 100, bottom: 130, width: 200 }, 300);
    expect(below.top).toBe(132);
    expect(below.maxHeight).toBe(300 - 130 - 2 - 8);
    const above = placeCompletions({ left: 0, top: 170, bottom: 200, width: 200 }, 300);
    expect(above.bottom).toBe(300 - 170 + 2);
    expect(above.maxHeight).toBe(170 - 2 - 8);
  });
});
