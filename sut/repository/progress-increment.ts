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

/** The seven parallel arrays of CONTEXT.md, in parameter order $1..$7. */
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

export class InvalidBatchError extends Error {
  override readonly name = 'InvalidBatchError';
  constructor(readonly problems: readonly string[]) {
    const shown = problems.slice(0, 10);
    const more =
      problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : '';
    super(`invalid batch, nothing was written:\n${shown.map((p) => `  - ${p}`).join('\n')}${more}`);
  }
}

function idProblem(field: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0)
    return `${field} must be a non-empty string, got ${JSON.stringify(value)}`;
  if (value.length > MAX_ID_LENGTH)
    return `${field} is ${value.length} characters; at most ${MAX_ID_LENGTH} fit VARCHAR(${MAX_ID_LENGTH})`;
  return undefined;
}

function positiveInt32Problem(field: string, value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > INT32_MAX) {
    return `${field} must be an integer from 1 to ${INT32_MAX}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/**
 * Checks a batch before any SQL runs: ids fit VARCHAR(100), deltas and targets are positive
 * INT values, and no (user, goal) key appears twice (a flush aggregates by key, and an
 * UPDATE ... FROM with two matches applies only one of them).
 */
export function batchProblems(increments: readonly ProgressIncrement[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  increments.forEach((inc, i) => {
    const at = `increment ${i}`;
    for (const [field, value] of [
      ['userId', inc.userId],
      ['goalId', inc.goalId],
      ['challengeId', inc.challengeId],
      ['namespace', inc.namespace],
    ] as const) {
      const p = idProblem(`${at}: ${field}`, value);
      if (p !== undefined) problems.push(p);
    }
    for (const [field, value] of [
      ['delta', inc.delta],
      ['targetValue', inc.targetValue],
    ] as const) {
      const p = positiveInt32Problem(`${at}: ${field}`, value);
      if (p !== undefined) problems.push(p);
    }
    if (typeof inc.isDaily !== 'boolean')
      problems.push(`${at}: isDaily must be true or false, got ${JSON.stringify(inc.isDaily)}`);
    const key = `${inc.userId}\u0000${inc.goalId}`;
    if (seen.has(key))
      problems.push(
        `${at}: (${inc.userId}, ${inc.goalId}) appears twice; a batch carries each key once`,
      );
    seen.add(key);
  });
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
