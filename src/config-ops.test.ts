import { describe, expect, it } from 'vitest';
import { configProblems, loadConfig } from './config.ts';

const problems = configProblems;

describe('operations settings', () => {
  it('runs on one node without Redis, and uses it with REDIS_URL (default prefix bedside:)', () => {
    expect(loadConfig({}).redis).toBeUndefined();
    expect(loadConfig({ REDIS_URL: 'redis://cache.internal:6379/2' }).redis).toEqual({ url: 'redis://cache.internal:6379/2', prefix: 'bedside:' });
    expect(loadConfig({ REDIS_URL: 'rediss://:pw@cache:6380', REDIS_PREFIX: 'clinic-a:' }).redis?.prefix).toBe('clinic-a:');
  });

  it('refuses a Redis URL of another scheme, a bad prefix and a short metrics token, without echoing them', () => {
    const p = problems({ REDIS_URL: 'http://secret-host:6379', REDIS_PREFIX: 'has space', METRICS_TOKEN: 'short-pw' });
    expect(p.map((x) => x.split(':')[0]).sort()).toEqual(['METRICS_TOKEN', 'REDIS_PREFIX', 'REDIS_URL']);
    expect(p.join()).not.toMatch(/secret-host|has space|short-pw/);
  });

  it('drains for SHUTDOWN_DRAIN_MS (none by default)', () => {
    expect(loadConfig({}).shutdownDrainMs).toBe(0);
    expect(loadConfig({ SHUTDOWN_DRAIN_MS: '5000' }).shutdownDrainMs).toBe(5000);
  });
});
