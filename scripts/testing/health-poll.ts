/** What a test reads of the service's /healthz: its status and the body's problems. */
export interface Health {
  readonly status: number;
  readonly body: {
    readonly ok: boolean;
    readonly reason?: string;
    readonly problems: readonly { readonly check: string; readonly reason: string }[];
  };
}

export async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as Health['body'] };
}

/** Polls /healthz until `wanted` holds, or fails after `withinMs` naming the last answer. */
export async function healthUntil(
  url: string,
  wanted: (h: Health) => boolean,
  withinMs: number,
): Promise<Health> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const h = await health(url);
    if (wanted(h)) return h;
    if (Date.now() > deadline)
      throw new Error(`/healthz did not change within ${withinMs} ms: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
