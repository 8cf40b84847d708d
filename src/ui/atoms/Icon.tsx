/** Small stroke icons drawn as SVG, so they look the same whatever fonts the system has. */
const PATHS = {
  plus: 'M8 3v10M3 8h10',
  copy: 'M5.5 5.5h7v7h-7zM3.5 10.5v-7h7',
  trash: 'M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.7 8.5h5.6l.7-8.5',
  undo: 'M5.5 3.5 2.5 6.5l3 3M2.5 6.5h7a4 4 0 0 1 0 8h-3',
  redo: 'M10.5 3.5l3 3-3 3M13.5 6.5h-7a4 4 0 0 0 0 8h3',
  play: 'M5 3.5v9l7.5-4.5z',
  stop: 'M4.5 4.5h7v7h-7z',
  layout: 'M2.5 3.5h4v3h-4zM9.5 9.5h4v3h-4zM9.5 3.5h4v3h-4zM6.5 5h3M11.5 6.5v3',
  fit: 'M2.5 6V2.5H6M10 2.5h3.5V6M13.5 10v3.5H10M6 13.5H2.5V10',
  upload: 'M8 10.5V2.5M5 5.5l3-3 3 3M3 10.5v3h10v-3',
  download: 'M8 2.5v8M5 7.5l3 3 3-3M3 10.5v3h10v-3',
  close: 'M4 4l8 8M12 4l-8 8',
  dockBottom: 'M2.5 3h11v10h-11zM2.5 9.5h11',
  dockRight: 'M2.5 3h11v10h-11zM9.5 3v10',
  pin: 'M6 2.5h4M7 2.5v4l-2.5 2.5h7L9 6.5v-4M8 9v4.5',
  server: 'M3 2.5h10v4.5H3zM3 9h10v4.5H3zM5.5 4.75h1M5.5 11.25h1',
  browser: 'M2.5 3.5h11v9h-11zM2.5 6h11M4.5 4.75h.5',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 14 }: { name: IconName; size?: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.6}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      className="icon"
    >
      <path d={PATHS[name]} fill={name === 'play' || name === 'stop' ? 'currentColor' : 'none'} />
    </svg>
  );
}
