import { describe, expect, it } from 'vitest';
import { freeSpotNear, spotRightOf } from './placement';

describe('placing a clicked block', () => {
  it('centres the block on an empty canvas', () => {
    expect(freeSpotNear({ x: 500, y: 300 }, [])).toEqual({ x: 400, y: 255 });
  });

  it('moves to the nearest spot that overlaps no block', () => {
    const spot = freeSpotNear({ x: 500, y: 300 }, [{ x: 400, y: 255 }]);
    expect(spot).not.toEqual({ x: 400, y: 255 });
    expect(Math.abs(spot.x - 400) >= 232 || Math.abs(spot.y - 255) >= 110).toBe(true);
    expect(Math.hypot(spot.x - 400, spot.y - 255)).toBeLessThanOrEqual(232);
  });

  it('puts the next block right of the selected one, or below that spot when it is taken', () => {
    expect(spotRightOf({ x: 0, y: 0 }, [{ x: 0, y: 0 }])).toEqual({ x: 280, y: 0 });
    expect(
      spotRightOf({ x: 0, y: 0 }, [
        { x: 0, y: 0 },
        { x: 280, y: 0 },
      ]),
    ).toEqual({ x: 280, y: 110 });
  });
});
