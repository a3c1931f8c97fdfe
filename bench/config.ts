// `tscompose config` on a generated project of 1,000 services (with extends,
// env interpolation, ports and volumes), beside `docker-compose config` (the
// Debian 1.29 python client) on the same file when it is installed. Wall time
// and peak RSS of each whole command, from GNU time, median of RUNS.
//
//   npm run bench -- config [RUNS] [SERVICES]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchModule } from './run.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A project shaped like real ones: a shared base via extends, interpolated images and ports, binds and named volumes. */
export function generateProject(services: number): { compose: string; env: string } {
  const lines: string[] = [
    'x-common: &common',
    '  restart: unless-stopped',
    '  environment:',
    '    LOG_LEVEL: ${LOG_LEVEL:-info}',
    '    REGION: ${REGION}',
    'services:',
    '  base:',
    '    image: ${REGISTRY}/base:${TAG:-1}',
    '    <<: *common',
    '    healthcheck:',
    '      test: ["CMD", "true"]',
    '      interval: 10s',
  ];
  for (let i = 0; i < services; i++) {
    lines.push(
      `  svc${i}:`,
      '    extends: base',
      `    image: \${REGISTRY}/svc${i}:\${TAG:-1}`,
      `    command: ["serve", "--port", "${8000 + (i % 1000)}"]`,
      '    ports:',
      `      - "127.0.0.1:${20000 + i}:80"`,
      '    volumes:',
      `      - ./data/svc${i}:/data`,
      `      - vol${i % 50}:/cache`,
      '    environment:',
      `      INDEX: "${i}"`,
      `      PEER: svc${(i + 1) % services}`,
      '    labels:',
      `      tier: t${i % 3}`,
    );
    if (i > 0) lines.push('    depends_on:', `      - svc${i - 1}`);
  }
  lines.push('volumes:');
  for (let v = 0; v < 50; v++) lines.push(`  vol${v}: {}`);
  return { compose: lines.join('\n') + '\n', env: 'REGISTRY=registry.local:5000\nREGION=eu\nTAG=7\n' };
}

interface Sample { seconds: number; maxRssKiB: number }

function timed(argv: string[], cwd: string): Sample {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...argv], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(-500)}`);
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [seconds, rss] = last.split(' ').map(Number);
  return { seconds, maxRssKiB: rss };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function summarize(samples: Sample[]) {
  return {
    runs: samples.length,
    medianSeconds: median(samples.map((s) => s.seconds)),
    medianMaxRssMiB: Math.round(median(samples.map((s) => s.maxRssKiB)) / 102.4) / 10,
  };
}

const bench: BenchModule = {
  description: 'config of a generated 1,000-service project: tscompose vs docker-compose',
  async run(args) {
    const runs = Number(args[0] ?? 5);
    const services = Number(args[1] ?? 1000);
    if (!existsSync('/usr/bin/time')) throw new Error('GNU time is needed: apt-get install time');
    const cli = path.join(repo, 'bin', 'tscompose.js');
    if (!existsSync(path.join(repo, 'dist', 'compose', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsct-bench-config-'));
    try {
      const { compose, env } = generateProject(services);
      writeFileSync(path.join(dir, 'compose.yaml'), compose);
      writeFileSync(path.join(dir, '.env'), env);
      // The launcher itself, as a user runs it (its shebang carries node's flags).
      const peers: Record<string, string[]> = { tscompose: [cli, 'config', '-q'] };
      const dc = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
      if (dc.status === 0) peers['docker-compose'] = ['docker-compose', 'config', '-q'];
      const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(peers).map((k) => [k, []]));
      // Interleaved so that drift of the machine hits every peer alike.
      for (let i = 0; i < runs; i++) for (const [name, argv] of Object.entries(peers)) samples[name].push(timed(argv, dir));
      const results = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
      const ours = results['tscompose'];
      const theirs = results['docker-compose'];
      return {
        services,
        fileBytes: compose.length,
        results,
        ratios: theirs
          ? {
              speedupVsDockerCompose: Math.round((theirs.medianSeconds / ours.medianSeconds) * 100) / 100,
              memoryVsDockerCompose: Math.round((ours.medianMaxRssMiB / theirs.medianMaxRssMiB) * 100) / 100,
            }
          : 'docker-compose is not installed (apt-get install docker-compose)',
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default bench;
