import { describe, expect, it } from 'vitest';
import { dayBucketsOf, inWindow, windowEndingAt } from '../../lambdas/absence/absence-window.ts';

const AT = Date.parse('2026-11-23T00:00:00+09:00'); // 00:00 KST = 2026-11-22T15:00:00Z
const window = windowEndingAt(AT);

describe('the absence window at 00:00 Korea time', () => {
  it('includes a week that ended at 23:59:59 KST the evening before', () => {
    expect(inWindow(window, Date.parse('2026-11-22T23:59:59+09:00'))).toBe(true);
  });

  it('includes a week that ends exactly at the run, 00:00:00 KST', () => {
    expect(inWindow(window, Date.parse('2026-11-23T00:00:00+09:00'))).toBe(true);
  });

  it('excludes a week that ends one second after the run', () => {
    expect(inWindow(window, Date.parse('2026-11-23T00:00:01+09:00'))).toBe(false);
  });

  it('includes a week that ended exactly two days before', () => {
    expect(inWindow(window, Date.parse('2026-11-21T00:00:00+09:00'))).toBe(true);
  });

  it('excludes a week that ended one millisecond earlier than two days before', () => {
    expect(inWindow(window, Date.parse('2026-11-21T00:00:00+09:00') - 1)).toBe(false);
  });

  it('spans three UTC day buckets, the index partitions it queries', () => {
    // [2026-11-20T15:00Z, 2026-11-22T15:00Z]
    expect(dayBucketsOf(window)).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
  });

  it('spans three buckets too when the run is at UTC midnight', () => {
    expect(dayBucketsOf(windowEndingAt(Date.parse('2026-11-23T00:00:00Z')))).toEqual([
      '2026-11-21',
      '2026-11-22',
      '2026-11-23',
    ]);
  });
});
