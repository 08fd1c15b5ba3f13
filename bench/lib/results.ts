/**
 * The benchmark's results: one entry per measured figure, Bedside's value against each baseline's
 * (measured in the same run), the ratio to each, and whether the target for it is met.
 * Kept free of I/O so the arithmetic and the report can be tested on their own.
 */

/** `max`: Bedside / baseline must be at most `ratio` (latency, memory); `min`: at least (throughput). */
export interface Target { baseline: string; kind: 'min' | 'max'; ratio: number }

export interface Entry {
  scenario: string;
  name: string;
  unit: string;
  /** Bedside's figure; null when it could not be measured. */
  bedside: number | null;
  /** Each baseline's figure, measured in the same run. For the growth scenario the baseline is
   *  Bedside itself with the smaller history. */
  baselines: Record<string, number | null>;
  /** bedside / baseline, per baseline. */
  ratios: Record<string, number | null>;
  targets: Array<Target & { met: boolean | null }>;
  /** With an absolute budget instead of a baseline (widget weight). */
  budget?: { max: number; met: boolean | null };
  note?: string;
}

export interface EntryInput {
  scenario: string;
  name: string;
  unit: string;
  bedside: number | null;
  baselines?: Record<string, number | null>;
  targets?: Target[];
  budget?: number;
  note?: string;
}

export function ratio(bedside: number | null, baseline: number | null | undefined): number | null {
  if (bedside === null || baseline === null || baseline === undefined || !Number.isFinite(bedside) || !Number.isFinite(baseline) || baseline === 0) return null;
  return bedside / baseline;
}

export function entry(input: EntryInput): Entry {
  const baselines = input.baselines ?? {};
  const ratios: Record<string, number | null> = {};
  for (const [name, value] of Object.entries(baselines)) ratios[name] = ratio(input.bedside, value);
  const targets = (input.targets ?? []).map((t) => {
    const r = ratios[t.baseline];
    const met = r === null || r === undefined ? null : t.kind === 'min' ? r >= t.ratio : r <= t.ratio;
    return { ...t, met };
  });
  const out: Entry = { scenario: input.scenario, name: input.name, unit: input.unit, bedside: input.bedside, baselines, ratios, targets };
  if (input.budget !== undefined) out.budget = { max: input.budget, met: input.bedside === null ? null : input.bedside <= input.budget };
  if (input.note) out.note = input.note;
  return out;
}

export interface Report {
  mode: 'quick' | 'full';
  startedAt: string;
  seconds: number;
  machine: { cpus: number; model: string; node: string; platform: string; memoryGiB: number };
  protections: string[];
  entries: Entry[];
  notes: string[];
}

function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return Number(v.toPrecision(digits)).toString();
}

function verdict(e: Entry): string {
  const checks = [...e.targets.map((t) => t.met), ...(e.budget ? [e.budget.met] : [])];
  if (checks.length === 0) return '';
  if (checks.some((c) => c === null)) return 'not measured';
  return checks.every(Boolean) ? 'met' : 'MISSED';
}

function targetText(e: Entry): string {
  const parts = e.targets.map((t) => `${t.kind === 'min' ? '≥' : '≤'} ${t.ratio}x ${t.baseline}`);
  if (e.budget) parts.push(`≤ ${e.budget.max.toLocaleString('en-US')} ${e.unit}`);
  return parts.join(', ');
}

/** A bar for the ratio column: one block per 0.1x, capped at 3x, so misses stand out at a glance. */
function bar(r: number | null): string {
  if (r === null) return '';
  return '█'.repeat(Math.max(1, Math.min(30, Math.round(r * 10))));
}

export function renderMarkdown(report: Report): string {
  const baselineNames = [...new Set(report.entries.flatMap((e) => Object.keys(e.baselines)))];
  const lines: string[] = [];
  lines.push(`# Benchmark results (${report.mode} run)`, '');
  lines.push(`${report.startedAt}, ${fmt(report.seconds)} s. Machine: ${report.machine.cpus} cores, ${report.machine.model}, `
    + `${report.machine.memoryGiB} GiB, Node ${report.machine.node}, ${report.machine.platform}. Other work shared the CPU, so compare`
    + ' the ratios (measured in the same run), not the absolute figures across runs.', '');
  lines.push(`Bedside ran with: ${report.protections.join('; ')}.`, '');
  lines.push(`| scenario | figure | unit | Bedside | ${baselineNames.join(' | ')} | ratios | target | verdict |`);
  lines.push(`| --- | --- | --- | ---: | ${baselineNames.map(() => '---:').join(' | ')} | --- | --- | --- |`);
  for (const e of report.entries) {
    const ratios = Object.entries(e.ratios).filter(([, r]) => r !== null).map(([b, r]) => `${fmt(r, 2)}x ${b}`).join(', ');
    lines.push(`| ${e.scenario} | ${e.name} | ${e.unit} | ${fmt(e.bedside)} | ${baselineNames.map((b) => (b in e.baselines ? fmt(e.baselines[b]) : '')).join(' | ')} | ${ratios} | ${targetText(e)} | ${verdict(e)} |`);
  }
  const charted = report.entries.filter((e) => e.targets.length > 0);
  if (charted.length) {
    lines.push('', '## Ratios against their targets', '', '```');
    for (const e of charted) {
      for (const t of e.targets) {
        const r = e.ratios[t.baseline] ?? null;
        const label = `${e.name} / ${t.baseline}`.padEnd(58).slice(0, 58);
        lines.push(`${label} ${fmt(r, 2).padStart(6)}x ${t.kind === 'min' ? '≥' : '≤'}${t.ratio} ${bar(r)}`);
      }
    }
    lines.push('```');
  }
  const noted = report.entries.filter((e) => e.note);
  if (noted.length || report.notes.length) {
    lines.push('', '## Notes', '');
    for (const n of report.notes) lines.push(`- ${n}`);
    for (const e of noted) lines.push(`- ${e.name}: ${e.note}`);
  }
  lines.push('');
  return lines.join('\n');
}
