import { createServer } from 'node:net';
import { UsageError } from '../../lib/errors.ts';

/**
 * Binds the address once and lets it go, before the database starts: a host that does not
 * resolve or a port in use is the user's input, said with exit 2 before anything is started.
 */
export async function checkListenAddress(
  hostName: string,
  portNumber: number,
  /** How the command line names them, for the message. */
  given = `--host ${hostName} --port ${portNumber}`,
  portFlag = '--port',
): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const why: Record<string, string> = {
        EADDRINUSE: `port ${portNumber} is in use on ${hostName} (another process listens there; pick another ${portFlag}, or 0 for a free one)`,
        EADDRNOTAVAIL: `${hostName} is not an address of this machine`,
        ENOTFOUND: `${hostName} does not resolve to an address`,
        EAI_AGAIN: `${hostName} could not be resolved (DNS did not answer)`,
        EACCES: `port ${portNumber} needs privileges this process does not have; use a port above 1023`,
      };
      const reason = error.code === undefined ? undefined : why[error.code];
      reject(reason === undefined ? error : new UsageError(`${given}: ${reason}`));
    });
    probe.listen(portNumber, hostName, () => {
      probe.close(() => {
        resolve();
      });
    });
  });
}
