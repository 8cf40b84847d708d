/** Canvas settings shared by the canvas, the toolbar, the palette and the shortcuts. */
export const FIT_VIEW_OPTIONS = { padding: 0.12, maxZoom: 1 } as const;

/** The drag-and-drop type a palette entry carries (its label) onto the canvas. */
export const PALETTE_DRAG_TYPE = 'application/x-kvb-block';
