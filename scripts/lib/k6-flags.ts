import { Option, type Command } from 'commander';
import { UsageError } from '../../lib/errors.ts';
import { outputFile } from './option-parsers.ts';

/**
 * `k6 run` flags that mean nothing to `harness run`, each refused in one line that names what
 * the harness has instead (rather than commander's "unknown option" and the whole help).
 */
const REFUSED_WITH_VALUE: readonly (readonly [flags: string, instead: string])[] = [
  [
    '-u, --vus <n>',
    'the harness sends events at a rate, with no virtual users: use --rate <events/s>',
  ],
  [
    '-i, --iterations <n>',
    'the harness sends events at a rate for a duration: use --rate and --duration',
  ],
  ['-s, --stage <duration:target>', "give the scenario file a ramping-arrival-rate's stages"],
  ['--max-redirects <n>', 'the harness sends events, not HTTP requests of a script'],
  ['--batch <n>', 'the harness sends events, not HTTP requests of a script'],
  ['--rps <n>', 'use --rate <events/s>'],
  ['--user-agent <text>', 'the harness sends events, not HTTP requests of a script'],
  [
    '--summary-time-unit <unit>',
    'the summary gives times in ms, flush sizes in rows; use --summary-data for the raw values',
  ],
  ['-a, --address <host:port>', "the harness has no REST API; the service's is --sut-port"],
  [
    '--tag <name=value>',
    "give the scenario file's options.tags (or a scenario's tags): they reach the samples and thresholds",
  ],
  ['--system-tags <tags>', 'the samples carry scenario, partition and variant'],
  ['--execution-segment <segment>', 'use --generators <n>: the harness shards its load itself'],
  ['--compatibility-mode <mode>', 'scenario files are TypeScript or JavaScript modules'],
  ['--console-output <file>', 'diagnostics go to stderr; set their level with --log-level'],
];
const REFUSED_SWITCHES: readonly (readonly [flags: string, key: string, instead: string])[] = [
  [
    '--no-thresholds',
    'thresholds',
    'thresholds are part of the verdict: remove them from the scenario file',
  ],
  ['--no-summary', 'summary', 'the summary is the run; send stdout elsewhere'],
  ['--http-debug', 'httpDebug', 'the harness sends events, not HTTP requests of a script'],
  ['-p, --paused', 'paused', 'a run starts when its database and service are ready'],
  ['-l, --linger', 'linger', 'the run ends with its summary; the service stops with it'],
  ['--insecure-skip-tls-verify', 'insecureSkipTlsVerify', 'the service speaks plain HTTP'],
  ['-q, --quiet', 'quiet', 'use --log-level warn'],
];

/** k6's outputs: json= is written (k6's JSON lines), the others are named with what to use. */
const OTHER_OUTPUTS =
  "the harness writes its results JSON (--output), k6's summaries (--summary-export, --summary-data), k6's JSON lines (--out json=<file>), and the service's /metrics for Prometheus to scrape (--sut-port)";

function refuse(flag: string, instead: string): never {
  throw new UsageError(`${flag} is a k6 flag with no use here: ${instead}`);
}

/** `--out json=<file>`, the one k6 output the harness writes; several --out are refused. */
export function parseOut(value: string, previous: string | undefined): string {
  if (previous !== undefined)
    throw new UsageError(`--out is given twice: the harness writes one k6 JSON lines file`);
  const eq = value.indexOf('=');
  const kind = eq < 0 ? value : value.slice(0, eq);
  if (kind !== 'json')
    throw new UsageError(
      `--out ${kind} is a k6 output the harness does not write: ${OTHER_OUTPUTS}`,
    );
  return outputFile('--out json=')(value.slice(eq + 1));
}

/**
 * k6's flags on `harness run`: `--out json=<file>` and `--summary-trend-stats` honoured,
 * `--no-color` accepted (the summary has no colour), the rest refused in one line.
 */
export function addK6Flags(command: Command): Command {
  command
    .addOption(
      new Option(
        '-o, --out <json=file>',
        "also write k6's JSON lines output (Metric and Point records)",
      ).argParser(parseOut),
    )
    .addOption(
      new Option(
        '--summary-trend-stats <stats>',
        "the trend statistics the summary and k6's exports show, like k6's (avg,med,p(95),p(99.9))",
      ).argParser((v) => v.split(',').map((s) => s.trim())),
    )
    .addOption(new Option('--no-color', 'accepted for k6: the summary has no colour').hideHelp());
  for (const [flags, instead] of REFUSED_WITH_VALUE) {
    const option = new Option(flags).hideHelp();
    command.addOption(option.argParser(() => refuse(option.long ?? flags, instead)));
  }
  for (const [flags] of REFUSED_SWITCHES) command.addOption(new Option(flags).hideHelp());
  return command.hook('preAction', (_parent, action) => {
    const given = action.opts<Record<string, unknown>>();
    for (const [flags, key, instead] of REFUSED_SWITCHES) {
      const negated = flags.startsWith('--no-');
      if (negated ? given[key] === false : given[key] === true)
        refuse(flags.split(', ').pop() as string, instead);
    }
  });
}
