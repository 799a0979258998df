// The soak's RSS trend: a fit that a sawtooth of garbage collections does not fool, and that says
// how precise it is.
import { peakRss, rssTrendLastHalf, slope, type RssReading } from "./soak";

/** RSS readings once a second: `base + perMinute·t` plus a GC sawtooth of `swing` MB every `period` s. */
function readings(seconds: number, base: number, perMinute: number, swing: number, period: number): RssReading[] {
  return Array.from({ length: seconds + 1 }, (_, t) => ({ t, rssMb: base + (perMinute * t) / 60 + swing * ((t % period) / period - 0.5) }));
}

test("a straight line: its slope, no error", () => {
  const fit = slope([0, 1, 2, 3].map((x) => ({ x, y: 5 + 2 * x })));
  expect(fit.slope).toBeCloseTo(2, 10);
  expect(fit.stdErr).toBeCloseTo(0, 10);
});

test("flat memory with a 16 MB GC sawtooth reads as flat, within its stated error", () => {
  const trend = rssTrendLastHalf(readings(600, 215, 0, 16, 23), 600);
  expect(Math.abs(trend.slope)).toBeLessThanOrEqual(2 * trend.stdErr + 0.05);
  expect(Math.abs(trend.slope)).toBeLessThan(0.3);
  expect(trend.stdErr).toBeGreaterThan(0);
});

test("growth of 2 MB/min under the same sawtooth is found, and only the last half counts", () => {
  const growing = rssTrendLastHalf(readings(600, 215, 2, 16, 23), 600);
  expect(growing.slope).toBeGreaterThan(1.5);
  expect(growing.slope).toBeLessThan(2.5);
  // a first half that climbs (warm-up) and a flat second half: flat
  const warmUp = readings(600, 215, 0, 16, 23).map((r) => (r.t < 300 ? { ...r, rssMb: r.rssMb - (300 - r.t) / 5 } : r));
  expect(Math.abs(rssTrendLastHalf(warmUp, 600).slope)).toBeLessThan(0.3);
});

test("the peak is the highest per-second reading, not the highest 10-s sample", () => {
  const perSecond = readings(60, 215, 0, 16, 23);
  const samples = perSecond.filter((r) => r.t % 10 === 0);
  perSecond[17] = { t: 17, rssMb: 260 }; // a collection's top between two samples
  expect(peakRss(perSecond, samples)).toBe(260);
});
