import { describe, expect, it } from 'vitest';
import { entry, ratio, renderMarkdown, type Report } from '../../bench/lib/results.ts';

describe('benchmark results', () => {
  it('divides Bedside by each baseline, and has no ratio for a missing or zero figure', () => {
    expect(ratio(500, 1000)).toBe(0.5);
    expect(ratio(null, 1000)).toBeNull();
    expect(ratio(500, null)).toBeNull();
    expect(ratio(500, 0)).toBeNull();
  });

  it('judges a throughput target as a floor and a latency target as a ceiling', () => {
    const throughput = entry({
      scenario: '1', name: 'throughput', unit: 'msg/s', bedside: 600, baselines: { bare: 1000, socketio: 700 },
      targets: [{ baseline: 'bare', kind: 'min', ratio: 0.5 }, { baseline: 'socketio', kind: 'min', ratio: 1 }],
    });
    expect(throughput.ratios).toEqual({ bare: 0.6, socketio: 600 / 700 });
    expect(throughput.targets.map((t) => t.met)).toEqual([true, false]);

    const latency = entry({ scenario: '2', name: 'p99', unit: 'ms', bedside: 30, baselines: { bare: 10 }, targets: [{ baseline: 'bare', kind: 'max', ratio: 2 }] });
    expect(latency.ratios.bare).toBe(3);
    expect(latency.targets[0]?.met).toBe(false);
  });

  it('leaves a target undecided when a figure is missing, and checks absolute budgets', () => {
    expect(entry({ scenario: '3', name: 'memory', unit: 'KiB', bedside: null, baselines: { bare: 6 }, targets: [{ baseline: 'bare', kind: 'max', ratio: 1.5 }] }).targets[0]?.met).toBeNull();
    expect(entry({ scenario: '6', name: 'loader', unit: 'bytes', bedside: 3100, budget: 3072 }).budget).toEqual({ max: 3072, met: false });
  });

  it('renders a table row per entry with the verdict', () => {
    const report: Report = {
      mode: 'quick', startedAt: '2026-01-01T00:00:00.000Z', seconds: 100,
      machine: { cpus: 2, model: 'Test CPU', node: '20.0.0', platform: 'linux x64', memoryGiB: 4 },
      protections: ['encryption'], notes: ['a note'],
      entries: [
        entry({ scenario: '1', name: 'throughput', unit: 'msg/s', bedside: 400, baselines: { bare: 1000 }, targets: [{ baseline: 'bare', kind: 'min', ratio: 0.5 }] }),
        entry({ scenario: '6', name: 'loader', unit: 'bytes', bedside: 2000, budget: 3072 }),
      ],
    };
    const md = renderMarkdown(report);
    expect(md).toContain('| 1 | throughput | msg/s | 400 | 1,000 | 0.4x bare | ≥ 0.5x bare | MISSED |');
    expect(md).toContain('| 6 | loader | bytes | 2,000 |  |  | ≤ 3,072 bytes | met |');
    expect(md).toContain('- a note');
  });
});
