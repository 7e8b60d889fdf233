/**
 * How `harness run --generators N` steers each `harness simulate --controlled` it starts,
 * over Node's IPC channel: every generator prepares its plan and sink and says `ready`; the
 * run says `go` to all of them at once, so the N schedules start together and line up with
 * the run's per-second samples; `stop` ends a schedule early (a threshold with abortOnFail,
 * Ctrl-C). Each generator reports its counts about once a second.
 */
export type ToGenerator = { readonly type: 'go' } | { readonly type: 'stop' };
export type FromGenerator =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly sent: number; readonly dropped: number };

export interface ParentControl {
  /** Says `ready` and resolves at `go`; rejects when the run went away first. */
  ready(): Promise<void>;
  /** Aborted by `stop`, or when the run that started this process is gone. */
  readonly signal: AbortSignal;
  progress(sent: number, dropped: number): void;
  /** Lets the process exit: the IPC channel otherwise keeps it alive. */
  release(): void;
}

function isToGenerator(message: unknown): message is ToGenerator {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'go' || type === 'stop';
}

/**
 * The child's side. Null when this process has no IPC channel to a parent: `--controlled`
 * is for processes a run starts, not for a terminal.
 */
export function parentControl(proc: NodeJS.Process = process): ParentControl | null {
  const send = proc.send?.bind(proc);
  if (send === undefined) return null;
  const stop = new AbortController();
  let go: (() => void) | undefined;
  let gone: ((error: Error) => void) | undefined;
  // The run may go away while this process is still preparing, before ready() is called.
  let disconnected = false;
  const goneError = () =>
    new Error('the run that started this generator went away before it said go');
  const onMessage = (message: unknown) => {
    if (!isToGenerator(message)) return;
    if (message.type === 'go') go?.();
    else stop.abort();
  };
  const onDisconnect = () => {
    disconnected = true;
    gone?.(goneError());
    stop.abort();
  };
  proc.on('message', onMessage);
  proc.once('disconnect', onDisconnect);
  const tell = (message: FromGenerator) => {
    if (proc.connected) send(message);
  };
  return {
    signal: stop.signal,
    ready: () =>
      new Promise<void>((resolve, reject) => {
        if (disconnected || !proc.connected) {
          reject(goneError());
          return;
        }
        go = resolve;
        gone = reject;
        tell({ type: 'ready' });
      }),
    progress: (sent, dropped) => {
      tell({ type: 'progress', sent, dropped });
    },
    release: () => {
      proc.off('message', onMessage);
      proc.off('disconnect', onDisconnect);
      if (proc.connected) proc.disconnect();
    },
  };
}
