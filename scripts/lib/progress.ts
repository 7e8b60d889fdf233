import cliProgress from 'cli-progress';
import type { Logger } from './logger.ts';

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
): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${title} [{bar}] {percentage}% | {value}/{total} cells | {label} | elapsed {duration_formatted}`,
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
        `${title}: ${label} (${done}/${total} cells done, ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
    },
    stop() {
      return;
    },
  };
}
