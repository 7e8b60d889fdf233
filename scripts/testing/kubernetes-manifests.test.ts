import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildProgram } from '../program.ts';

const DIR = 'docs/kubernetes';

interface Container {
  readonly name: string;
  readonly command?: string[];
  readonly args?: string[];
}

/** Every container of every manifest that runs the harness, with the pod count it runs in. */
function harnessContainers(): { file: string; container: Container; completions: number }[] {
  const out: { file: string; container: Container; completions: number }[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(DIR, file), 'utf8'))) {
      expect(doc.errors, file).toEqual([]);
      const manifest = doc.toJS() as {
        spec: { completions?: number; template: { spec: { containers: Container[] } } };
      };
      for (const container of manifest.spec.template.spec.containers)
        if (container.command?.join(' ') === 'node bin/harness.js')
          out.push({ file, container, completions: manifest.spec.completions ?? 1 });
    }
  }
  return out;
}

class Accepted extends Error {}

/**
 * Parses `args` with the CLI's own parser (every option's check runs) and stops before the
 * command would start: what the harness would say to them, without running anything.
 */
async function accepted(args: readonly string[]): Promise<string> {
  const program = buildProgram();
  const quiet = (c: Command) => {
    c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    c.commands.forEach(quiet);
  };
  quiet(program);
  program.hook('preAction', (_root, action) => {
    throw new Accepted(action.name());
  });
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    if (error instanceof Accepted) return error.message;
    throw error;
  }
  throw new Error('the command ran');
}

describe('the Kubernetes recipe (docs/kubernetes)', () => {
  const containers = harnessContainers();

  it('has the generators, the services, the seed and the merge', () => {
    expect(containers.map((c) => c.container.args?.slice(0, 2).join(' ')).sort()).toEqual([
      'results merge',
      'seed --db',
      'simulate --shard',
      'sut --db',
    ]);
  });

  it.each(containers.map((c) => [`${c.file}: ${c.container.name}`, c] as const))(
    "%s: every pod's command is accepted by the CLI",
    async (_name, { container, completions }) => {
      for (let index = 0; index < completions; index++) {
        // The pod mounts the results volume at /results; here a folder stands in for it.
        const mount = mkdtempSync(join(tmpdir(), 'harness-k8s-results-'));
        const args = (container.args ?? []).map((a) =>
          a
            .replaceAll('$(JOB_COMPLETION_INDEX)', String(index))
            .replace(/^\/results\//, `${mount}/`),
        );
        expect(args.join(' ')).not.toMatch(/\$\(/); // no variable the pod would not expand
        await expect(accepted(args)).resolves.toBe(args[0] === 'results' ? 'merge' : args[0]);
      }
    },
  );

  it('refuses what the CLI refuses: the check is not a formality', async () => {
    await expect(accepted(['simulate', '--shard', '4/4'])).rejects.toThrow();
    await expect(accepted(['sut', '--no-such-option'])).rejects.toThrow();
  });

  it('splits the generators into as many shards as the Job has pods, and merges them all', () => {
    const generators = containers.find((c) => c.container.args?.[0] === 'simulate');
    const merge = containers.find((c) => c.container.args?.[0] === 'results');
    const shard = generators?.container.args?.[generators.container.args.indexOf('--shard') + 1];
    expect(shard).toBe(`$(JOB_COMPLETION_INDEX)/${generators?.completions}`);
    const files = merge?.container.args?.filter((a) => a.startsWith('/results/shard-'));
    expect(files).toEqual(
      Array.from({ length: generators?.completions ?? 0 }, (_, i) => `/results/shard-${i}.json`),
    );
  });
});
