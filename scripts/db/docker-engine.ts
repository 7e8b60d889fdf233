import { request } from 'node:http';

export interface DockerEngineStatus {
  readonly reachable: boolean;
  /** Why not, in words a user can act on. */
  readonly reason: string;
}

/**
 * Pings the Docker engine the way testcontainers would find it (DOCKER_HOST or the default
 * socket). Having the `docker` client installed is not enough: it needs a running engine.
 */
export function detectDockerEngine(timeoutMs = 2000): Promise<DockerEngineStatus> {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  const target = host.startsWith('unix://')
    ? { socketPath: host.slice('unix://'.length) }
    : (() => {
        const url = new URL(host.replace(/^tcp:/, 'http:'));
        return { host: url.hostname, port: Number(url.port || 2375) };
      })();
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(
        res.statusCode === 200
          ? { reachable: true, reason: `Docker engine at ${host}` }
          : { reachable: false, reason: `Docker engine at ${host} answered ${res.statusCode}` },
      );
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ reachable: false, reason: `no answer from ${host} within ${timeoutMs} ms` });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      resolve({
        reachable: false,
        reason: `no Docker engine at ${host} (${error.code ?? error.message})`,
      });
    });
    req.end();
  });
}
