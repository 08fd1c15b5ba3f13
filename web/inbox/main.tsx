import { render } from 'preact';
import { App } from './app.tsx';

// An icon for the tab (the HTML shell has none; without one the browser asks for /favicon.ico).
if (!document.querySelector('link[rel~="icon"]')) {
  const icon = document.createElement('link');
  icon.rel = 'icon';
  icon.href = 'data:image/svg+xml,%3Csvg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"%3E%3Crect width="16" height="16" rx="3" fill="%231f5fbf"/%3E%3Cpath d="M4 11V5h5a2 2 0 0 1 0 4H4" fill="none" stroke="%23fff" stroke-width="2"/%3E%3C/svg%3E';
  document.head.append(icon);
}

const root = document.getElementById('app');
if (root) render(<App />, root);
