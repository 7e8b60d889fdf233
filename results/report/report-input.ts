import type { Comparison } from '../compare/compare-results.ts';
import type { IndexedResult } from '../run-index.ts';

/** What a report shows: one or more results (a release check has a sweep and a run) and any comparisons with earlier runs. */
export interface ReportInput {
  readonly title: string;
  readonly results: readonly IndexedResult[];
  readonly comparisons: readonly Comparison[];
  /** Why a comparison is missing, when it is (no earlier run, say). */
  readonly comparisonNotes: readonly string[];
}
