/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and names where the time went: self time per function
 * and per area (a package under node_modules, a folder of src/, node's internals, GC, idle).
 */
export function summarizeProfile(prof, root) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const dt = new Map();
  // timeDeltas[i] is the time before samples[i]; attribute it to that sample's node.
  prof.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  let total = 0;
  const fn = new Map();
  const area = new Map();
  for (const [id, us] of dt) {
    const n = byId.get(id);
    if (!n) continue;
    total += us;
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url.replace(`file://${root}/`, '');
    const a = areaOf(functionName, file);
    area.set(a, (area.get(a) ?? 0) + us);
    const key = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
  }
  const busy = total - (area.get('(idle)') ?? 0);
  const top = (m, n) => [...m].sort((x, y) => y[1] - x[1]).slice(0, n)
    .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pctOfBusy: Number(((100 * us) / Math.max(1, busy)).toFixed(1)) }));
    // Idle time is reported as a total, not ranked among the costs.
  area.delete('(idle)');
  fn.delete('(idle)');
  return { totalMs: Math.round(total / 1000), busyMs: Math.round(busy / 1000), areas: top(area, 12), functions: top(fn, 20) };
}

function areaOf(functionName, file) {
  if (functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)') return functionName;
  if (!file) return '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return pkg[1];
  if (file.startsWith('node:')) return 'node internals';
  const src = /^(src\/[^/]+(?:\/[^/]+)?)\//.exec(file);
  return src ? src[1] : file;
}
