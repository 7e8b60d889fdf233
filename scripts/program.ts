import { Command, CommanderError, Option } from 'commander';
import { compareCommand } from './commands/compare-command.ts';
import { abCommand } from './commands/ab-command.ts';
import { calibrateCommand } from './commands/calibrate-command.ts';
import { resultsCommand } from './commands/results-command.ts';
import { reportCommand } from './commands/report-command.ts';
import { historyCommand } from './commands/history-command.ts';
import { checkCommand } from './commands/check-command.ts';
import { seedCommand } from './commands/seed-command.ts';
import { runCommand } from './commands/run-command.ts';
import { auditCommand } from './commands/audit-command.ts';
import { simulateCommand } from './commands/simulate-command.ts';
import { sutCommand } from './commands/sut-command.ts';
import { sweepCommand } from './commands/sweep-command.ts';
import { createLogger, LOG_LEVELS, parseLogLevel, type Logger } from '../lib/logger.ts';
import { EXIT, exitCodeOf, InterruptedError } from '../lib/errors.ts';
import { HARNESS_VERSION } from './lib/version.ts';

export function buildProgram(): Command {
  const program = new Command('harness')
    .description(
      'Load-test and simulation harness for the batch UPDATE that flushes goal progress to PostgreSQL',
    )
    .addOption(
      new Option('--log-level <level>', 'diagnostics on stderr')
        .choices(LOG_LEVELS)
        .default(process.env.HARNESS_LOG_LEVEL ?? 'info'),
    )
    .version(HARNESS_VERSION, '-V, --version', 'the harness version')
    .showHelpAfterError()
    .exitOverride();
  const logger = (): Logger =>
    createLogger(parseLogLevel(program.opts<{ logLevel: string }>().logLevel, 'info'));
  for (const command of [
    checkCommand(),
    runCommand(logger),
    auditCommand(),
    sweepCommand(logger),
    sutCommand(logger),
    simulateCommand(logger),
    seedCommand(logger),
    compareCommand(),
    abCommand(logger),
    calibrateCommand(logger),
    resultsCommand(),
    reportCommand(),
    historyCommand(),
  ]) {
    program.addCommand(command.exitOverride().showHelpAfterError());
  }
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message (or the help / version text).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { code, expected } = exitCodeOf(error);
    if (error instanceof InterruptedError) process.stderr.write(`${error.message}\n`);
    else if (expected && error instanceof Error) process.stderr.write(`error: ${error.message}\n`);
    else
      process.stderr.write(
        `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    return code;
  }
}
