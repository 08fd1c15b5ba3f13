import { createContext } from 'preact';
import { useContext, useEffect, useRef } from 'preact/hooks';
import type { ClientFrame, ServerFrame } from '../api-types.ts';

export interface Live {
  send(frame: ClientFrame): boolean;
  subscribe(fn: (frame: ServerFrame) => void): () => void;
  /** Called after the socket came back: refetch what is on screen. */
  onReconnect(fn: () => void): () => void;
}

const noop = () => () => {};
export const LiveContext = createContext<Live>({ send: () => false, subscribe: noop, onReconnect: noop });

export function useLive(): Live {
  return useContext(LiveContext);
}

/** Subscribes `fn` (always the latest one) to server frames. */
export function useFrames(fn: (frame: ServerFrame) => void): void {
  const live = useLive();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => live.subscribe((f) => ref.current(f)), [live]);
}

export function useReconnect(fn: () => void): void {
  const live = useLive();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => live.onReconnect(() => ref.current()), [live]);
}

export interface ShellActions {
  openHelp(): void;
}
export const ShellContext = createContext<ShellActions>({ openHelp: () => {} });
