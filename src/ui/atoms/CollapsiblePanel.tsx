import type { ReactNode } from 'react';

export interface CollapsiblePanelProps {
  /** The region's accessible name and the header's text. */
  title: string;
  className: string;
  expanded: boolean;
  onToggle(): void;
  /** Shown at the right of the header whether open or folded (a count, a status word). */
  aside?: ReactNode;
  children: ReactNode;
}

/**
 * A side panel: a named region whose header folds it away. Folded, the region and its header
 * stay (so the status in the header is still read), only the body goes.
 */
export function CollapsiblePanel({ title, className, expanded, onToggle, aside, children }: CollapsiblePanelProps) {
  const bodyId = `panel-${className.replace(/\s+/g, '-')}-body`;
  return (
    <section className={`panel ${className}${expanded ? '' : ' panel--collapsed'}`} role="region" aria-label={title}>
      <div className="panel-title">
        <button
          type="button"
          className="panel-title__toggle"
          aria-expanded={expanded}
          aria-controls={bodyId}
          // "Run panel", not "Run": the toolbar's Run button keeps its name to itself.
          aria-label={`${title} panel`}
          title={expanded ? `Fold ${title} away` : `Open ${title}`}
          onClick={onToggle}
        >
          <svg className="panel-title__chevron" width="10" height="10" viewBox="0 0 10 10" aria-hidden="true">
            <path d="M2 3.5 5 6.5 8 3.5" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          {title}
        </button>
        {aside}
      </div>
      {expanded && (
        <div id={bodyId} className="panel__content">
          {children}
        </div>
      )}
    </section>
  );
}
