import { describe, expect, it } from 'vitest';
import { mergeWeb } from './helpers.js';

describe('merge: string lists compose-go keeps unique', () => {
  it('dns: a string becomes a list, repeats collapse', () => {
    expect(mergeWeb('dns: 8.8.8.8', 'dns: [1.1.1.1, 8.8.8.8]')).toEqual({ dns: ['8.8.8.8', '1.1.1.1'] });
  });
  it('dns_search and dns_opt', () => {
    expect(mergeWeb('dns_search: a.example\ndns_opt: [ndots:2]', 'dns_search: [b.example]\ndns_opt: [ndots:2, timeout:1]')).toEqual({
      dns_search: ['a.example', 'b.example'],
      dns_opt: ['ndots:2', 'timeout:1'],
    });
  });
  it('tmpfs', () => {
    expect(mergeWeb('tmpfs: /run', 'tmpfs: [/tmp, /run]')).toEqual({ tmpfs: ['/run', '/tmp'] });
  });
  it('env_file: by path, string and long forms', () => {
    expect(mergeWeb('env_file: a.env', 'env_file: [{path: a.env, required: false}, b.env]')).toEqual({ env_file: [{ path: 'a.env', required: false }, 'b.env'] });
  });
  it('cap_add, cap_drop, profiles, expose', () => {
    expect(mergeWeb('cap_add: [NET_ADMIN]\ncap_drop: [ALL]\nprofiles: [a]\nexpose: [80]', 'cap_add: [NET_ADMIN, SYS_TIME]\ncap_drop: [ALL]\nprofiles: [b, a]\nexpose: ["80", 81]')).toEqual({
      cap_add: ['NET_ADMIN', 'SYS_TIME'],
      cap_drop: ['ALL'],
      profiles: ['a', 'b'],
      expose: ['80', 81],
    });
  });
  it('links by service name', () => {
    expect(mergeWeb('links: [db]', 'links: [db, cache]')).toEqual({ links: ['db', 'cache'] });
  });
});
