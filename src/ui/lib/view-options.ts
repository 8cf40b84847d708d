/** Canvas settings shared by the canvas, the toolbar, the palette and the shortcuts. */

/**
 * Fit view: a fixed margin in screen pixels (a fraction would waste a tenth of a narrow
 * canvas), and no zooming past 100 % so a blueprint of two blocks is not blown up.
 */
export const FIT_VIEW_OPTIONS = { padding: '28px', maxZoom: 1 } as const;

/** The drag-and-drop type a palette entry carries (its label) onto the canvas. */
export const PALETTE_DRAG_TYPE = 'application/x-kvb-block';
