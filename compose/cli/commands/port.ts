// `tscompose port SERVICE PRIVATE_PORT`: the public address of a port binding.

import type { Command } from 'commander';
import { ComposeRunError } from '../executor/errors.js';
import { checkServices, containerNameOf, listProjectContainers, numberOf } from '../project-containers.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';
import { intOption } from './options.js';

export const port: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('port')
    .description('Print the public port for a port binding')
    .argument('<service>', 'the service')
    .argument('<private_port>', 'the port inside the container')
    .option('--protocol <protocol>', 'tcp or udp', 'tcp')
    .option('--index <n>', 'index of the container if service has multiple replicas', intOption('--index'), 1)
    .action(async (service: string, privatePort: string, options: { protocol: string; index: number }) => {
      await withProject(ctx, [service], async (session) => {
        const project = session.loaded.project;
        checkServices(project, [service]);
        const container = (await listProjectContainers(session.engine, project.name, { services: [service] })).find((c) => numberOf(c) === options.index);
        if (!container) throw new ComposeRunError(`service "${service}" has no running container number ${options.index}; start it first (tscompose up -d ${service})`);
        const info = await session.engine.inspectContainer(container.Id);
        const key = `${privatePort}/${options.protocol}`;
        const binding = info.NetworkSettings.Ports?.[key]?.[0];
        if (!binding) throw new ComposeRunError(`container ${containerNameOf(container)} does not publish port ${key}; add it under ports: of service "${service}"`);
        session.io.stdout(`${binding.HostIp ?? '0.0.0.0'}:${binding.HostPort}\n`);
      });
    });
};
