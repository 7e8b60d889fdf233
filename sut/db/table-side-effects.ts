import type pg from 'pg';

// pg_trigger.tgtype bits (PostgreSQL's catalog/pg_trigger.h).
const ROW = 1;
const BEFORE = 2;
const INSERT = 4;
const DELETE = 8;
const UPDATE = 16;
const TRUNCATE = 32;
const INSTEAD = 64;

/**
 * The events the harness fires on a table it writes: flushes UPDATE its rows; seeding
 * TRUNCATEs it and COPYs rows in, which fires INSERT triggers.
 */
const HARNESS_TRIGGER_EVENTS = UPDATE | INSERT | TRUNCATE;

function triggerEvents(type: number): string[] {
  return [
    [INSERT, 'INSERT'],
    [UPDATE, 'UPDATE'],
    [DELETE, 'DELETE'],
    [TRUNCATE, 'TRUNCATE'],
  ].flatMap(([bit, name]) => ((type & (bit as number)) !== 0 ? [name as string] : []));
}

function triggerTiming(type: number): string {
  if ((type & INSTEAD) !== 0) return 'INSTEAD OF';
  return (type & BEFORE) !== 0 ? 'BEFORE' : 'AFTER';
}

const RULE_EVENTS: Readonly<Record<string, string>> = {
  '1': 'SELECT',
  '2': 'UPDATE',
  '3': 'INSERT',
  '4': 'DELETE',
};

/**
 * What else happens when the harness writes the table `oid`: each enabled trigger that fires
 * on an UPDATE, INSERT or TRUNCATE, and each enabled rule on UPDATE (COPY, which seeds, does
 * not run rules), as one line naming it and saying what it runs. Constraint triggers of
 * foreign keys are internal and left out: they check, they do not write elsewhere. A trigger
 * enabled only for replicas ('R') is listed too: whether it fires depends on a setting of
 * the session or server, not of the table.
 */
export async function tableSideEffects(client: pg.ClientBase, oid: string): Promise<string[]> {
  const { rows: triggers } = await client.query<{ name: string; type: number; def: string }>(
    `SELECT tgname AS name, tgtype::int AS type, pg_get_triggerdef(oid) AS def
       FROM pg_trigger
      WHERE tgrelid = $1::oid AND NOT tgisinternal AND tgenabled <> 'D' AND (tgtype::int & $2) <> 0
      ORDER BY tgname`,
    [oid, HARNESS_TRIGGER_EVENTS],
  );
  const { rows: rules } = await client.query<{ name: string; event: string; def: string }>(
    `SELECT rulename AS name, ev_type::text AS event, pg_get_ruledef(oid) AS def
       FROM pg_rewrite
      WHERE ev_class = $1::oid AND rulename <> '_RETURN' AND ev_enabled <> 'D' AND ev_type = '2'
      ORDER BY rulename`,
    [oid],
  );
  return [
    ...triggers.map(
      (t) =>
        `trigger ${t.name}: ${triggerTiming(t.type)} ${triggerEvents(t.type).join(' OR ')} ${(t.type & ROW) !== 0 ? 'FOR EACH ROW' : 'FOR EACH STATEMENT'}, ${executes(t.def)}`,
    ),
    ...rules.map(
      (r) => `rule ${r.name}: ON ${RULE_EVENTS[r.event] ?? r.event}, ${ruleAction(r.def)}`,
    ),
  ];
}

/** "runs public.log_change()" from a trigger's definition. */
function executes(def: string): string {
  const match = /EXECUTE (?:FUNCTION|PROCEDURE) (.*)$/.exec(def);
  return match === null ? def : `runs ${match[1]}`;
}

/** "DO ALSO INSERT INTO ..." from a rule's definition, on one line. */
function ruleAction(def: string): string {
  const match = /\bDO\s+([\s\S]*?);?\s*$/.exec(def);
  return (match === null ? def : `DO ${match[1]}`).replace(/\s+/g, ' ');
}
