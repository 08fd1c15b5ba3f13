import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';

const FOCUSABLE = 'a[href],button:not([disabled]),input:not([disabled]),select:not([disabled]),textarea:not([disabled]),[tabindex]:not([tabindex="-1"])';

export interface DialogProps {
  /** Id of the dialog's heading (its accessible name). */
  labelledBy: string;
  describedBy?: string;
  /** Escape, or the caller's own buttons. */
  onClose: () => void;
  /** alertdialog for one that interrupts (the sign-out warning). */
  role?: 'dialog' | 'alertdialog';
  /** Selector of the element to focus first (else the first focusable one). */
  initialFocus?: string;
  class?: string;
  children: ComponentChildren;
}

/**
 * A modal dialog: the native <dialog> in modal mode (the page behind is inert), focus kept inside
 * with Tab and Shift+Tab, Escape closes, and focus returns to where it was.
 */
export function Dialog({ labelledBy, describedBy, onClose, role, initialFocus, class: cls, children }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const close = useRef(onClose);
  close.current = onClose;

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const before = document.activeElement as HTMLElement | null;
    if (!el.open) el.showModal();
    const first = (initialFocus && el.querySelector<HTMLElement>(initialFocus)) || el.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    const onCancel = (e: Event) => {
      e.preventDefault();
      close.current();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        close.current();
        return;
      }
      if (e.key !== 'Tab') return;
      const items = [...el.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((x) => x.offsetParent !== null || x === document.activeElement);
      if (items.length === 0) {
        e.preventDefault();
        return;
      }
      const firstItem = items[0]!;
      const lastItem = items[items.length - 1]!;
      if (e.shiftKey && (document.activeElement === firstItem || !el.contains(document.activeElement))) {
        e.preventDefault();
        lastItem.focus();
      } else if (!e.shiftKey && (document.activeElement === lastItem || !el.contains(document.activeElement))) {
        e.preventDefault();
        firstItem.focus();
      }
    };
    el.addEventListener('cancel', onCancel);
    el.addEventListener('keydown', onKey);
    return () => {
      el.removeEventListener('cancel', onCancel);
      el.removeEventListener('keydown', onKey);
      if (el.open) el.close();
      if (before && document.contains(before)) before.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      class={cls ? `dlg ${cls}` : 'dlg'}
      role={role === 'alertdialog' ? 'alertdialog' : undefined}
      aria-modal="true"
      aria-labelledby={labelledBy}
      aria-describedby={describedBy}
    >
      {children}
    </dialog>
  );
}

export interface ConfirmProps {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/** "Are you sure?" with Cancel focused first, so Enter never destroys anything by accident. */
export function ConfirmDialog({ title, children, confirmLabel, danger, busy, onConfirm, onCancel }: ConfirmProps) {
  return (
    <Dialog labelledBy="confirm-h" describedBy="confirm-d" onClose={onCancel} role="alertdialog" initialFocus=".cancel">
      <h2 id="confirm-h">{title}</h2>
      <div id="confirm-d">{children}</div>
      <div class="row-btns end">
        <button type="button" class="btn cancel" onClick={onCancel}>Cancel</button>
        <button type="button" class={danger ? 'btn danger' : 'btn primary'} aria-disabled={busy ? 'true' : undefined} onClick={() => !busy && onConfirm()}>
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
