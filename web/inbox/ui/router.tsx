import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

type Listener = () => void;
const listeners = new Set<Listener>();

export interface Location {
  pathname: string;
  search: string;
}

function current(): Location {
  return { pathname: location.pathname, search: location.search };
}

/** Client-side navigation with the History API. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const here = location.pathname + location.search + location.hash;
  if (to === here && !options.replace) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const l of listeners) l();
}

/** Leaves the single-page app for `to`, dropping everything held in memory (used at sign-out). */
export function hardNavigate(to: string): void {
  location.replace(to);
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => setLoc((prev) => {
      const next = current();
      return next.pathname === prev.pathname && next.search === prev.search ? prev : next;
    });
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return loc;
}

type AnchorProps = JSX.HTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** An ordinary link that navigates without a page load on a plain left click. */
export function Link({ href, onClick, ...rest }: AnchorProps) {
  return (
    <a
      href={href}
      {...rest}
      onClick={(e) => {
        if (onClick) (onClick as (e: JSX.TargetedMouseEvent<HTMLAnchorElement>) => void)(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
    />
  );
}
