import { useLayoutEffect, useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { Icon } from './Icon';

export interface DialogProps {
  title: string;
  onClose(): void;
  children: ReactNode;
  footer?: ReactNode;
  tone?: 'default' | 'danger';
  /** false: no ×, no Escape, no backdrop click (a choice must be made in the footer). */
  closable?: boolean;
}

/** A modal dialog: its × button, Escape or the backdrop closes it; focus moves into it when it opens. */
export function Dialog({ title, onClose, children, footer, tone = 'default', closable = true }: DialogProps) {
  const box = useRef<HTMLDivElement>(null);
  // Before the first paint, so a key pressed as soon as the dialog shows (Escape) reaches it.
  useLayoutEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    // The × is the way out, not the first thing to do: focus goes to the dialog's content.
    const first = box.current?.querySelector<HTMLElement>('[data-autofocus], input, select, textarea, button:not(.dialog__close)');
    first?.focus();
    return () => previous?.focus?.();
  }, []);
  // A portal keeps the dialog out of whatever styles the opener sits in (the dark toolbar).
  return createPortal(
    <div className="dialog-backdrop" onMouseDown={(e) => closable && e.target === e.currentTarget && onClose()}>
      <div
        ref={box}
        className={`dialog dialog--${tone}`}
        role="dialog"
        aria-modal="true"
        aria-label={title}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            if (closable) onClose();
          }
        }}
      >
        <div className="dialog__head">
          <div className="dialog__title">{title}</div>
          {closable && (
            <button type="button" className="dialog__close" aria-label="Close" title="Close (Esc)" onClick={onClose}>
              <Icon name="close" />
            </button>
          )}
        </div>
        <div className="dialog__body">{children}</div>
        {footer && <div className="dialog__footer">{footer}</div>}
      </div>
    </div>,
    document.body,
  );
}

export function ConfirmDialog({
  title,
  message,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm(): void;
  onCancel(): void;
}) {
  return (
    <Dialog
      title={title}
      onClose={onCancel}
      tone="danger"
      footer={
        <>
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button type="button" className="btn btn--danger" data-autofocus onClick={onConfirm}>
            {confirmLabel}
          </button>
        </>
      }
    >
      {message}
    </Dialog>
  );
}
