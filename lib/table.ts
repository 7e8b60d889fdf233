import Table from 'cli-table3';

/**
 * A plain table for terminals and logs alike: no colour codes (output is often piped or
 * pasted into a pull request), no rules between body rows, numbers right-aligned.
 */
export function createTable(
  head: readonly string[],
  align: readonly ('left' | 'right')[] = [],
): Table.Table {
  return new Table({
    head: [...head],
    colAligns: head.map((_, i) => align[i] ?? (i === 0 ? 'left' : 'right')),
    style: { head: [], border: [], compact: true },
  });
}
