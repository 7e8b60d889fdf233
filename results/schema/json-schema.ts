import { z } from 'zod';
import { resultSchema, SCHEMA_VERSION } from './result-schema.ts';

/** The results JSON as a JSON Schema document, for readers in other languages. */
export function resultJsonSchema(): Record<string, unknown> {
  return {
    $id: `https://flush-harness/results/v${SCHEMA_VERSION}.schema.json`,
    title: `flush-harness results, schema version ${SCHEMA_VERSION}`,
    ...z.toJSONSchema(resultSchema, { io: 'input' }),
  };
}
