import cliProgress from 'cli-progress';
import type { Logger } from '../../lib/logger.ts';

export interface Progress {
  update(done: number, total: number, label: string): void;
  stop(): void;
}

/**
 * A progress bar on stderr when it is a terminal; otherwise one log line per new label, so
 * CI logs show where a long run is without a screenful of carriage returns.
 */
export function createProgress(
  title: string,
  logger: Logger,
  stream: NodeJS.WriteStream = process.stderr,
  unit = 'cells',
): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${title} [{bar}] {percentage}% | {value}/{total} ${unit} | {label} | elapsed {duration_formatted}`,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total, label) {
        if (!started) {
          bar.start(total, done, { label });
          started = true;
        } else bar.update(done, { label });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let lastLabel = '';
  const t0 = performance.now();
  return {
    update(done, total, label) {
      if (label === lastLabel) return;
      lastLabel = label;
      logger.info(
        `${title}: ${label} (${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${unit} done, ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
    },
    stop() {
      return;
    },
  };
}

/**
 * The seeder's progress callback, shown as a bar (or a log line every 10 %): seeding the
 * default 500,000 rows takes several seconds, and a silent start looks like a hang.
 */
export function seedingProgress(
  logger: Logger,
  what: string,
): { onProgress: (rows: number, total: number) => void; stop: () => void } {
  const progress = createProgress(`seeding ${what}`, logger, process.stderr, 'rows');
  return {
    onProgress(rows, total) {
      progress.update(rows, total, `${Math.floor((rows / total) * 10) * 10} %`);
    },
    stop() {
      progress.stop();
    },
  };
}
