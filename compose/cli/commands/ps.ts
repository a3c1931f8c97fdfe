// `tscompose ps`: the project's containers as docker compose shows them — an
// aligned table (NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS), one JSON
// object per line, ids (-q) or service names (--services).

import type { Command } from 'commander';
import type { ContainerSummary } from '../../../runtime/client/index.js';
import { LABEL_PROJECT } from '../../plan/labels.js';
import { UsageError } from '../context.js';
import { checkServices, containerNameOf, listProjectContainers, serviceOf } from '../project-containers.js';
import { nowMs, withProject } from '../session.js';
import { humanDuration, quotedCommand } from '../ui/human.js';
import { formatTable } from '../ui/table.js';
import type { CommandContext, CommandSetup } from './index.js';
import { collect } from './options.js';

interface PsOptions {
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  status?: string[];
  format: string;
  noTrunc?: boolean;
}

const STATUSES = ['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited'];

/** `0.0.0.0:8080->80/tcp, 9000/udp`, sorted by container port. */
export function formatPorts(ports: ContainerSummary['Ports']): string {
  return [...ports]
    .sort((a, b) => a.PrivatePort - b.PrivatePort || (a.IP ?? '').localeCompare(b.IP ?? ''))
    .map((p) => {
      if (p.PublicPort === undefined) return `${p.PrivatePort}/${p.Type}`;
      const ip = p.IP?.includes(':') ? `[${p.IP}]` : (p.IP ?? '0.0.0.0');
      return `${ip}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`;
    })
    .join(', ');
}

export function psTable(containers: readonly ContainerSummary[], now: number, noTrunc = false): string {
  return formatTable(
    ['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'],
    containers.map((c) => [
      containerNameOf(c),
      c.Image,
      noTrunc ? JSON.stringify(c.Command) : quotedCommand(c.Command),
      serviceOf(c),
      `${humanDuration(now - c.Created * 1000)} ago`,
      c.Status,
      formatPorts(c.Ports),
    ]),
  );
}

export function psJson(c: ContainerSummary, now: number): Record<string, unknown> {
  return {
    ID: c.Id,
    Name: containerNameOf(c),
    Image: c.Image,
    Command: JSON.stringify(c.Command),
    Project: c.Labels[LABEL_PROJECT] ?? '',
    Service: serviceOf(c),
    Created: c.Created,
    RunningFor: `${humanDuration(now - c.Created * 1000)} ago`,
    State: c.State,
    Status: c.Status,
    Health: /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1]?.replace('health: ', '') ?? '',
    ExitCode: Number(/^Exited \((\d+)\)/.exec(c.Status)?.[1] ?? 0),
    Ports: formatPorts(c.Ports),
    Publishers: [...c.Ports]
      .sort((a, b) => a.PrivatePort - b.PrivatePort)
      .map((p) => ({ URL: p.IP ?? '', TargetPort: p.PrivatePort, PublishedPort: p.PublicPort ?? 0, Protocol: p.Type })),
    Labels: c.Labels,
  };
}

export const ps: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('ps')
    .description('List containers')
    .argument('[services...]', 'only these services')
    .option('-a, --all', 'show all stopped containers (including those created by the run command)')
    .option('-q, --quiet', 'only display IDs')
    .option('--services', 'display services')
    .option('--status <status>', `filter services by status: ${STATUSES.join(', ')} (repeatable)`, collect)
    .option('--format <format>', 'format the output: table or json', 'table')
    .option('--no-trunc', "don't truncate output")
    .action(async (services: string[], options: PsOptions) => {
      if (options.format !== 'table' && options.format !== 'json') throw new UsageError(`unsupported format "${options.format}": use table or json`);
      for (const s of options.status ?? []) if (!STATUSES.includes(s)) throw new UsageError(`invalid --status "${s}": use one of ${STATUSES.join(', ')}`);
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        const wanted = options.status ?? [];
        let containers = await listProjectContainers(session.engine, project.name, { all: options.all || wanted.length > 0, services, oneOff: options.all });
        if (wanted.length > 0) containers = containers.filter((c) => wanted.includes(c.State));
        const out = session.io.stdout;
        const now = nowMs();
        if (options.quiet) out(containers.map((c) => `${c.Id}\n`).join(''));
        else if (options.services) out([...new Set(containers.map(serviceOf))].map((s) => `${s}\n`).join(''));
        else if (options.format === 'json') out(containers.map((c) => `${JSON.stringify(psJson(c, now))}\n`).join(''));
        else out(psTable(containers, now, options.noTrunc === false));
      });
    });
};
