// `tscompose config`: parse, resolve and print the compose project in its
// canonical form, like `docker compose config`.

import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadProject } from '../../load/index.js';
import { configHash } from '../../plan/hash.js';
import { serializeProject } from '../../serialize/index.js';
import type { Project, ServiceConfig } from '../../types.js';
import { UsageError } from '../context.js';
import { loadOptions } from '../project-options.js';
import type { CommandSetup } from './index.js';
import { stringify } from 'yaml';

interface ConfigOptions {
  format: string;
  quiet?: boolean;
  services?: boolean;
  volumes?: boolean;
  networks?: boolean;
  images?: boolean;
  profiles?: boolean;
  hash?: string;
  interpolate: boolean;
  normalize: boolean;
  output?: string;
}

/** The image a service runs: its `image`, or the name docker compose gives a built one. */
export function imageName(projectName: string, serviceName: string, service: ServiceConfig): string {
  return service.image ?? `${projectName}-${serviceName}`;
}

function lines(values: readonly string[]): string {
  return values.map((v) => `${v}\n`).join('');
}

function allProfiles(project: Project): string[] {
  const profiles = new Set<string>();
  for (const services of [project.services, project.disabledServices ?? {}]) {
    for (const service of Object.values(services)) for (const p of service.profiles ?? []) profiles.add(p);
  }
  return [...profiles].sort();
}

/** The named services and everything they depend on, like compose-go's WithSelectedServices. */
function withDependencies(project: Project, names: readonly string[]): string[] {
  const selected = new Set<string>();
  const visit = (name: string) => {
    if (selected.has(name)) return;
    const service = project.services[name];
    if (!service) throw new UsageError(`no such service: ${name}`);
    selected.add(name);
    for (const dep of Object.keys(service.depends_on ?? {})) if (dep in project.services) visit(dep);
  };
  names.forEach(visit);
  return [...selected].sort();
}

function hashLines(project: Project, selection: string): string {
  const names = selection === '*' ? Object.keys(project.services).sort() : selection.split(',').map((s) => s.trim());
  return lines(
    names.map((name) => {
      const service = project.services[name];
      if (!service) throw new UsageError(`no such service: ${name}`);
      return `${name} ${configHash(service)}`;
    }),
  );
}

export const config: CommandSetup = (program: Command, { io, globals }) => {
  program
    .command('config')
    .description('Parse, resolve and render compose file in canonical format')
    .argument('[services...]', 'only these services')
    .option('--format <format>', 'format the output: yaml or json', 'yaml')
    .option('-q, --quiet', 'only validate the configuration, print nothing')
    .option('--services', 'print the service names, one per line')
    .option('--volumes', 'print the volume names, one per line')
    .option('--networks', 'print the network names, one per line')
    .option('--images', 'print the image names, one per line')
    .option('--profiles', 'print the profile names, one per line')
    .option('--hash <services>', 'print the service config hash, one per line ("*" for all)')
    .option('--no-interpolate', "don't interpolate environment variables")
    .option('--no-normalize', "don't normalize the compose model")
    .option('-o, --output <file>', 'save to file (default: stdout)')
    .action(async (services: string[], options: ConfigOptions) => {
      if (options.format !== 'yaml' && options.format !== 'json') {
        throw new UsageError(`unsupported format "${options.format}": use yaml or json`);
      }
      const result = await loadProject(
        loadOptions(globals(), io, {
          services,
          skip: { interpolate: !options.interpolate, normalize: !options.normalize },
        }),
      );
      for (const warning of result.warnings) io.stderr(`WARN ${warning}\n`);
      let project = result.project;
      if (services.length > 0 && options.normalize) {
        const keep = withDependencies(project, services);
        project = { ...project, services: Object.fromEntries(keep.map((s) => [s, project.services[s]])) };
      }
      if (options.quiet) return;
      let text: string;
      if (options.services) text = lines(Object.keys(project.services).sort());
      else if (options.volumes) text = lines(Object.keys(project.volumes ?? {}).sort());
      else if (options.networks) text = lines(Object.keys(project.networks ?? {}).sort());
      else if (options.images) text = lines(Object.entries(project.services).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, s]) => imageName(project.name, name, s)));
      else if (options.profiles) text = lines(allProfiles(project));
      else if (options.hash !== undefined) text = hashLines(project, options.hash);
      else if (!options.normalize) text = options.format === 'json' ? `${JSON.stringify(result.model, null, 2)}\n` : stringify(result.model, { indent: 2, lineWidth: 0 });
      else {
        text = serializeProject(project, options.format);
        if (!text.endsWith('\n')) text += '\n';
        // Interpolated values are printed re-loadable: a literal `$` becomes `$$`, as docker compose does.
        if (options.interpolate) text = text.replaceAll('$', '$$$$');
      }
      if (options.output) {
        const target = isAbsolute(options.output) ? options.output : resolve(io.cwd, options.output);
        io.writeFile(target, text);
      } else {
        io.stdout(text);
      }
    });
};
