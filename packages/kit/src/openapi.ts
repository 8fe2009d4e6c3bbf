/**
 * Documentation checks.
 *
 * `docs/errors.md` holds one section per service/package, headed `## <HEADING>`
 * (e.g. `## KIT`, `## CENTER`). Under it, a markdown table whose FIRST column is
 * the code in backticks and whose SECOND column is the HTTP status:
 *
 *   ## KIT
 *
 *   | Code | Status | Meaning |
 *   | --- | --- | --- |
 *   | `KIT_INTERNAL` | 500 | … |
 *
 * The section ends at the next heading of level 1 or 2. Rows whose first cell
 * is not a backticked code (header, separator) are ignored.
 */
import { readFileSync } from 'node:fs';

export type DocumentedCode = { code: string; status?: number; line: number };

/** Parse the catalogue rows under `## heading`. Throws if the heading is absent. */
export function parseErrorsDoc(markdown: string, heading: string): DocumentedCode[] {
  const lines = markdown.split(/\r?\n/);
  const want = heading.trim();
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    const m = /^##\s+(.+?)\s*#*\s*$/.exec(lines[i]!);
    if (m && m[1] === want) {
      start = i + 1;
      break;
    }
  }
  if (start < 0) throw new Error(`errors doc: no "## ${want}" heading`);
  const rows: DocumentedCode[] = [];
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#{1,2}\s/.test(line)) break;
    if (!line.trimStart().startsWith('|')) continue;
    const cells = line
      .trim()
      .replace(/^\|/, '')
      .replace(/\|$/, '')
      .split('|')
      .map((c) => c.trim());
    const m = /^`([A-Za-z0-9_.]+)`$/.exec(cells[0] ?? '');
    if (!m) continue;
    const status = Number(cells[1]);
    rows.push({ code: m[1]!, line: i + 1, ...(Number.isInteger(status) && status > 0 ? { status } : {}) });
  }
  return rows;
}

/**
 * Fail (throw) listing every code that is missing from the `## heading` table of
 * `markdownFile`, every documented code that does not exist, duplicates, and —
 * when a catalogue object (code → { status }) is passed instead of a list —
 * every row whose status column disagrees with the catalogue.
 *
 *   assertErrorsDocumented(Object.keys(E), 'docs/errors.md', 'CENTER')
 *   assertErrorsDocumented(E, new URL('../../../docs/errors.md', import.meta.url), 'CENTER')
 */
export function assertErrorsDocumented(
  codes: readonly string[] | Readonly<Record<string, { status: number }>>,
  markdownFile: string | URL,
  heading: string,
): void {
  const statusByCode = new Map<string, number | undefined>();
  if (Array.isArray(codes)) for (const c of codes as readonly string[]) statusByCode.set(c, undefined);
  else for (const [c, def] of Object.entries(codes as Record<string, { status: number }>)) statusByCode.set(c, def.status);

  const rows = parseErrorsDoc(readFileSync(markdownFile, 'utf8'), heading);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.code)) problems.push(`documented twice: ${row.code} (line ${row.line})`);
    seen.add(row.code);
    if (!statusByCode.has(row.code)) {
      problems.push(`documented but not in the catalogue: ${row.code} (line ${row.line})`);
      continue;
    }
    const expected = statusByCode.get(row.code);
    if (expected !== undefined && row.status !== expected) {
      problems.push(`wrong status for ${row.code} (line ${row.line}): doc says ${row.status ?? '(none)'}, catalogue says ${expected}`);
    }
  }
  for (const code of statusByCode.keys()) {
    if (!seen.has(code)) problems.push(`missing from the "## ${heading}" table: ${code}`);
  }
  if (problems.length > 0) {
    throw new Error(`${String(markdownFile)} is out of date with the ${heading} error catalogue:\n  - ${problems.join('\n  - ')}`);
  }
}
