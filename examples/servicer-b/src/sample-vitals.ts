// Fictional measurements for a new patient: the last 14 days, different per patient number but the
// same every time for one (so pages and tests are reproducible). Not real people, not real data.
import type { Vital } from './db/queries.ts';

export function sampleVitals(userId: string, today: Date, days = 14): Omit<Vital, 'id'>[] {
  let seed = [...userId].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  const next = (min: number, max: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return min + (seed % (max - min + 1));
  };
  const rows: Omit<Vital, 'id'>[] = [];
  for (let d = days; d >= 1; d--) {
    const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - d));
    rows.push({
      user_id: userId,
      measured_on: day.toISOString().slice(0, 10),
      systolic: next(108, 138),
      diastolic: next(64, 88),
      heart_rate: next(58, 84),
      body_temperature: (next(358, 369) / 10).toFixed(1),
      steps: next(2500, 11000),
    });
  }
  return rows;
}
