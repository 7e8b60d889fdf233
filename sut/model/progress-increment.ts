import { UsageError } from '../../lib/errors.ts';
/** One buffered increment: what a flush sends for one (user, goal) key. */
export interface ProgressIncrement {
  readonly userId: string;
  readonly goalId: string;
  readonly challengeId: string;
  readonly namespace: string;
  readonly delta: number;
  readonly targetValue: number;
  readonly isDaily: boolean;
}

/** The seven parallel arrays of docs/production-system.md, in parameter order $1..$7. */
export type BatchParameters = [
  userIds: string[],
  goalIds: string[],
  challengeIds: string[],
  namespaces: string[],
  deltas: number[],
  targetValues: number[],
  isDaily: boolean[],
];

export const MAX_ID_LENGTH = 100;
export const INT32_MAX = 2_147_483_647;

/** A batch the table cannot take: bad input, exit code 2 when it reaches the CLI. */
export class InvalidBatchError extends UsageError {
  override readonly name = 'InvalidBatchError';
  constructor(problems: readonly string[]) {
    const shown = problems.slice(0, 10);
    const more =
      problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : '';
    super(`invalid batch, nothing was written:\n${shown.map((p) => `  - ${p}`).join('\n')}${more}`);
    this.problems = problems;
  }
  override readonly problems: readonly string[];
}

/** VARCHAR(100) counts characters (code points), not UTF-16 units. */
export function characterCount(value: string): number {
  if (value.length <= MAX_ID_LENGTH) return value.length;
  // Code points are exactly what VARCHAR counts, so spreading is right here.
  // eslint-disable-next-line @typescript-eslint/no-misused-spread
  return [...value].length;
}

/**
 * What PostgreSQL cannot store in a UTF8 VARCHAR, said as a problem: a NUL character (it ends
 * strings in the server) or a lone UTF-16 surrogate (it has no UTF-8 form; Node would send a
 * replacement character, so the row named would not be the one sent).
 */
export function unstorableText(value: string): string | undefined {
  if (value.includes('\u0000'))
    return 'holds a NUL character (\\u0000), which PostgreSQL cannot store';
  if (!value.isWellFormed())
    return 'holds a lone UTF-16 surrogate, which has no UTF-8 form for PostgreSQL to store';
  return undefined;
}

/**
 * Text as PostgreSQL can store it: a NUL or a lone surrogate written as a JSON escape
 * (`\u0000`), everything else as it is. For recording what was refused, never for keys.
 */
export function storableForm(value: string): string {
  return unstorableText(value) === undefined
    ? value
    : value.replace(
        // The NUL is the point of this pattern.
        // eslint-disable-next-line no-control-regex
        /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
}

function isId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    characterCount(value) <= MAX_ID_LENGTH &&
    unstorableText(value) === undefined
  );
}

function isPositiveInt32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= INT32_MAX;
}

function idProblem(field: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0)
    return `${field} must be a non-empty string, got ${JSON.stringify(value)}`;
  const length = characterCount(value);
  if (length > MAX_ID_LENGTH)
    return `${field} is ${length} characters; at most ${MAX_ID_LENGTH} fit VARCHAR(${MAX_ID_LENGTH})`;
  const unstorable = unstorableText(value);
  return unstorable === undefined ? undefined : `${field} ${unstorable}`;
}

function positiveInt32Problem(field: string, value: unknown): string | undefined {
  return isPositiveInt32(value)
    ? undefined
    : `${field} must be an integer from 1 to ${INT32_MAX}, got ${JSON.stringify(value)}`;
}

/** What is wrong with one increment, or undefined when it can be written. */
export function incrementProblem(inc: ProgressIncrement): string | undefined {
  const problems = incrementProblems(inc, 'increment');
  return problems.length === 0 ? undefined : problems.join('; ');
}

function incrementProblems(inc: ProgressIncrement, at: string): string[] {
  const problems = [
    idProblem(`${at}: userId`, inc.userId),
    idProblem(`${at}: goalId`, inc.goalId),
    idProblem(`${at}: challengeId`, inc.challengeId),
    idProblem(`${at}: namespace`, inc.namespace),
    positiveInt32Problem(`${at}: delta`, inc.delta),
    positiveInt32Problem(`${at}: targetValue`, inc.targetValue),
    typeof inc.isDaily === 'boolean'
      ? undefined
      : `${at}: isDaily must be true or false, got ${JSON.stringify(inc.isDaily)}`,
  ];
  return problems.filter((p): p is string => p !== undefined);
}

/**
 * Checks a batch before any SQL runs: ids fit VARCHAR(100), deltas and targets are positive
 * INT values, and no (user, goal) key appears twice (a flush aggregates by key, and an
 * UPDATE ... FROM with two matches applies only one of them). Runs on every flush, so the
 * valid case is a few comparisons per increment and messages are built only for bad ones.
 */
export function batchProblems(increments: readonly ProgressIncrement[]): string[] {
  const problems: string[] = [];
  // Goals seen per user: cheaper than a set of concatenated keys on 1,000-row batches.
  const seen = new Map<string, Set<string>>();
  // Rows usually come grouped by player (a buffer drains player by player): a player's id
  // and namespace, found valid on the row before, are not scanned again.
  let lastUser: string | undefined;
  let lastGoals: Set<string> | undefined;
  let lastNamespace: string | undefined;
  for (let i = 0; i < increments.length; i++) {
    const inc = increments[i] as ProgressIncrement;
    const ok =
      ((lastUser !== undefined && inc.userId === lastUser) || isId(inc.userId)) &&
      isId(inc.goalId) &&
      isId(inc.challengeId) &&
      ((lastNamespace !== undefined && inc.namespace === lastNamespace) || isId(inc.namespace)) &&
      isPositiveInt32(inc.delta) &&
      isPositiveInt32(inc.targetValue) &&
      typeof inc.isDaily === 'boolean';
    if (!ok) problems.push(...incrementProblems(inc, `increment ${i}`));
    let goals =
      lastUser !== undefined && inc.userId === lastUser ? lastGoals : seen.get(inc.userId);
    if (goals === undefined) {
      goals = new Set();
      seen.set(inc.userId, goals);
    }
    // Only a valid row's strings are trusted on the next.
    lastUser = ok ? inc.userId : undefined;
    lastNamespace = ok ? inc.namespace : undefined;
    lastGoals = goals;
    if (goals.has(inc.goalId))
      problems.push(
        `increment ${i}: (${inc.userId}, ${inc.goalId}) appears twice; a batch carries each key once`,
      );
    goals.add(inc.goalId);
  }
  return problems;
}

export function assertValidBatch(increments: readonly ProgressIncrement[]): void {
  const problems = batchProblems(increments);
  if (problems.length > 0) throw new InvalidBatchError(problems);
}

/** Checks parallel arrays that came from outside (their lengths must agree) and builds increments. */
export function incrementsFromArrays(params: BatchParameters): ProgressIncrement[] {
  const lengths = params.map((a) => (Array.isArray(a) ? a.length : -1));
  if (lengths.some((l) => l !== lengths[0])) {
    throw new InvalidBatchError([
      `the seven arrays must have the same length, got ${lengths.map((l) => (l < 0 ? 'not an array' : String(l))).join(', ')}`,
    ]);
  }
  const [userIds, goalIds, challengeIds, namespaces, deltas, targetValues, isDaily] = params;
  return userIds.map((userId, i) => ({
    userId,
    goalId: goalIds[i] as string,
    challengeId: challengeIds[i] as string,
    namespace: namespaces[i] as string,
    delta: deltas[i] as number,
    targetValue: targetValues[i] as number,
    isDaily: isDaily[i] as boolean,
  }));
}

export function toBatchParameters(increments: readonly ProgressIncrement[]): BatchParameters {
  const n = increments.length;
  const params: BatchParameters = [
    new Array<string>(n),
    new Array<string>(n),
    new Array<string>(n),
    new Array<string>(n),
    new Array<number>(n),
    new Array<number>(n),
    new Array<boolean>(n),
  ];
  for (let i = 0; i < n; i++) {
    const inc = increments[i] as ProgressIncrement;
    params[0][i] = inc.userId;
    params[1][i] = inc.goalId;
    params[2][i] = inc.challengeId;
    params[3][i] = inc.namespace;
    params[4][i] = inc.delta;
    params[5][i] = inc.targetValue;
    params[6][i] = inc.isDaily;
  }
  return params;
}
