// /networks/...: create, list, inspect, connect, disconnect, remove, prune
// (Docker's shapes and status codes) over the engine's NetworkManager.

import type { EndpointSettings } from '../../client/types.js';
import { ApiError, badParameter } from '../api-error.js';
import { filtersParam, jsonBody, sendEmpty, sendJson } from '../http-util.js';
import type { RouteContext, Router } from '../router.js';
import type { EngineServices } from '../services.js';

const CREATE_FIELDS: Record<string, string> = {
  Name: 'string', Driver: 'string', Internal: 'boolean', Attachable: 'boolean', EnableIPv6: 'boolean', Ingress: 'boolean',
  CheckDuplicate: 'boolean', Scope: 'string', ConfigOnly: 'boolean',
};

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function stringMap(v: unknown, what: string): void {
  if (v === undefined || v === null) return;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) throw badParameter(`invalid ${what}: expected an object of strings`);
}

async function objectBody(ctx: RouteContext, what: string): Promise<Record<string, unknown>> {
  const body = await jsonBody<unknown>(ctx.req);
  if (body === undefined || body === null) throw badParameter(`${what}: the request body is empty`);
  if (!isObject(body)) throw badParameter(`${what}: the request body must be a JSON object`);
  return body;
}

export function registerNetworkRoutes(router: Router, s: EngineServices): void {
  const networks = (): NonNullable<EngineServices['networks']> => {
    if (!s.networks) throw new ApiError(501, 'this engine runs without networks');
    return s.networks;
  };

  router.add('POST', '/networks/create', async (ctx) => {
    const body = await objectBody(ctx, 'network create');
    for (const [k, t] of Object.entries(CREATE_FIELDS)) {
      if (body[k] !== undefined && body[k] !== null && typeof body[k] !== t) throw badParameter(`invalid ${k}: expected a ${t}`);
    }
    if (!body.Name) throw badParameter('network name is required');
    if (body.Ingress) throw badParameter('ingress networks are a swarm feature and are not supported');
    stringMap(body.Labels, 'Labels');
    stringMap(body.Options, 'Options');
    const ipam = body.IPAM;
    if (ipam !== undefined && ipam !== null) {
      if (!isObject(ipam)) throw badParameter('invalid IPAM: expected an object');
      stringMap(ipam.Options, 'IPAM.Options');
      if (ipam.Config !== undefined && ipam.Config !== null) {
        if (!Array.isArray(ipam.Config) || ipam.Config.some((c) => !isObject(c))) throw badParameter('invalid IPAM.Config: expected a list of objects');
        for (const c of ipam.Config as Record<string, unknown>[]) {
          for (const k of ['Subnet', 'IPRange', 'Gateway']) if (c[k] !== undefined && typeof c[k] !== 'string') throw badParameter(`invalid IPAM.Config ${k}: expected a string`);
        }
      }
    }
    const created = await networks().create({
      Name: body.Name as string, Driver: body.Driver as string | undefined, Internal: body.Internal as boolean | undefined,
      Attachable: body.Attachable as boolean | undefined, EnableIPv6: body.EnableIPv6 as boolean | undefined,
      IPAM: ipam ? { Driver: (ipam as Record<string, unknown>).Driver as string | undefined, Config: ((ipam as Record<string, unknown>).Config ?? []) as never, Options: (ipam as Record<string, unknown>).Options as Record<string, string> | undefined } : undefined,
      Labels: (body.Labels ?? undefined) as Record<string, string> | undefined, Options: (body.Options ?? undefined) as Record<string, string> | undefined,
      CheckDuplicate: body.CheckDuplicate as boolean | undefined,
    });
    s.events.publish('network', 'create', created.Id, { name: created.Name, type: created.Driver });
    sendJson(ctx.res!, 201, { Id: created.Id, Warning: '' });
  });

  router.add('GET', '/networks', (ctx) => {
    sendJson(ctx.res!, 200, networks().list(filtersParam(ctx.query)));
  });

  router.add('POST', '/networks/prune', async (ctx) => {
    const gone = await networks().prune(filtersParam(ctx.query));
    for (const name of gone) s.events.publish('network', 'destroy', name, { name, type: 'bridge' });
    sendJson(ctx.res!, 200, { NetworksDeleted: gone });
  });

  router.add('GET', '/networks/{id}', (ctx) => {
    sendJson(ctx.res!, 200, networks().inspect(ctx.params.id));
  });

  router.add('DELETE', '/networks/{id}', async (ctx) => {
    const n = networks();
    const net = n.inspect(ctx.params.id);
    if (['bridge', 'host', 'none'].includes(net.Name) && n.find(net.Id)?.predefined) {
      throw new ApiError(403, `${net.Name} is a pre-defined network and cannot be removed`);
    }
    await n.remove(net.Id);
    s.events.publish('network', 'destroy', net.Id, { name: net.Name, type: net.Driver });
    sendEmpty(ctx.res!, 204);
  });

  router.add('POST', '/networks/{id}/connect', async (ctx) => {
    const body = await objectBody(ctx, 'network connect');
    if (typeof body.Container !== 'string' || !body.Container) throw badParameter('network connect: Container must name a container');
    const cfg = body.EndpointConfig;
    if (cfg !== undefined && cfg !== null) {
      if (!isObject(cfg)) throw badParameter('network connect: EndpointConfig must be an object');
      if (cfg.Aliases !== undefined && cfg.Aliases !== null && (!Array.isArray(cfg.Aliases) || cfg.Aliases.some((a) => typeof a !== 'string'))) {
        throw badParameter('network connect: EndpointConfig.Aliases must be a list of strings');
      }
      if (cfg.Links !== undefined && cfg.Links !== null && (!Array.isArray(cfg.Links) || cfg.Links.some((a) => typeof a !== 'string'))) {
        throw badParameter('network connect: EndpointConfig.Links must be a list of strings');
      }
      if (cfg.IPAMConfig !== undefined && cfg.IPAMConfig !== null && !isObject(cfg.IPAMConfig)) throw badParameter('network connect: EndpointConfig.IPAMConfig must be an object');
    }
    const net = networks().inspect(ctx.params.id);
    await s.containers.connectNetwork(body.Container, net.Id, (cfg ?? undefined) as EndpointSettings | undefined);
    s.events.publish('network', 'connect', net.Id, { name: net.Name, type: net.Driver, container: body.Container });
    sendEmpty(ctx.res!, 200);
  });

  router.add('POST', '/networks/{id}/disconnect', async (ctx) => {
    const body = await objectBody(ctx, 'network disconnect');
    if (typeof body.Container !== 'string' || !body.Container) throw badParameter('network disconnect: Container must name a container');
    if (body.Force !== undefined && body.Force !== null && typeof body.Force !== 'boolean') throw badParameter('network disconnect: Force must be a boolean');
    const net = networks().inspect(ctx.params.id);
    await s.containers.disconnectNetwork(body.Container, net.Id, !!body.Force);
    s.events.publish('network', 'disconnect', net.Id, { name: net.Name, type: net.Driver, container: body.Container });
    sendEmpty(ctx.res!, 200);
  });
}
