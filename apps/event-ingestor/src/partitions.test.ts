import { describe, expect, it } from 'vitest';
import { dayOf, partitionDay, partitionName, planPartitions, retentionStart } from './partitions.ts';

const now = Date.parse('2026-03-10T12:00:00Z');

describe('day partitions', () => {
  it('are named by their UTC day', () => {
    expect(partitionName('2026-03-10')).toBe('falco_events_20260310');
    expect(partitionDay('falco_events_20260310')).toBe('2026-03-10');
    expect(partitionDay('falco_events_default')).toBeUndefined();
    expect(dayOf(Date.parse('2026-03-10T23:59:59.999Z'))).toBe('2026-03-10');
  });

  it('cover the retention start to the days ahead; older ones are dropped, foreign tables left alone', () => {
    expect(new Date(retentionStart(now, 3)).toISOString()).toBe('2026-03-07T00:00:00.000Z');
    const plan = planPartitions(now, { retentionDays: 3, daysAhead: 2 }, [
      'falco_events_20260301',
      'falco_events_20260306',
      'falco_events_20260307',
      'falco_events_20260310',
      'falco_events_archive',
    ]);
    expect(plan).toEqual({
      create: ['2026-03-08', '2026-03-09', '2026-03-11', '2026-03-12'],
      drop: ['falco_events_20260301', 'falco_events_20260306'],
    });
  });

  it('plan nothing when everything is in place', () => {
    const existing = ['07', '08', '09', '10', '11', '12'].map((d) => `falco_events_202603${d}`);
    expect(planPartitions(now, { retentionDays: 3, daysAhead: 2 }, existing)).toEqual({ create: [], drop: [] });
  });
});
