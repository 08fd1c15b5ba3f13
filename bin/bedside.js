#!/usr/bin/env node
// The `bedside` admin command. Runs the TypeScript sources when the project's dev tools are
// installed (a clone), else the compiled build (an install without dev dependencies).
let loader;
try {
  loader = await import('tsx/esm/api');
} catch {
  loader = undefined;
}
if (loader) {
  loader.register();
  await import('../src/cli/main.ts');
} else {
  await import('../dist/src/cli/main.js');
}
