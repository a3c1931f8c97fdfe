// The filesystem: readonly rootfs and propagation, each mount type with its
// options and remount semantics, mount targets behind symlinks, default and
// extra devices, masked and readonly paths. Each case runs under runc and
// tscrun; see diff-suite.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { onCleanup } from '../../helpers/cleanup.js';
import type { DiffCase } from '../../helpers/differential.js';
import { diffSuite } from '../../helpers/diff-suite.js';
import { uniqueName } from '../../helpers/names.js';
import { tempDir } from '../../helpers/tmp.js';

/** Cases tscrun does not pass yet, with the reason (shrink as it grows). */
const TSCRUN_KNOWN_GAPS: Record<string, string> = {};

type Mount = { target: string; fstype: string; opts: string[]; super: string[]; propagation: string[] };
const mountAt = (report: Record<string, any>, target: string): Mount[] =>
  (report.mounts as Mount[]).filter((m) => m.target === target);

/** A host dir with a file in it, and a tmpfs mounted on its `sub` dir. */
function hostTree(): Record<string, string> {
  const dir = tempDir('src');
  writeFileSync(path.join(dir, 'file'), 'from the host\n');
  mkdirSync(path.join(dir, 'sub'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tsctsub', path.join(dir, 'sub')]);
  onCleanup(`umount ${dir}/sub`, () => execFileSync('umount', [path.join(dir, 'sub')]));
  writeFileSync(path.join(dir, 'sub', 'inner'), 'submount\n');
  return { src: dir };
}

const cases: DiffCase[] = [
  {
    name: 'mounts, masked and readonly paths of the default spec',
    args: ['mounts', 'masked', 'readonly', 'devices'],
    check: (o) => {
      expect(mountAt(o.report, '/')[0].opts).toContain('ro');
      expect(o.report.masked['/proc/keys'].read).toBe('empty');
      expect(o.report.masked['/sys/firmware'].entries).toBe(0);
      expect(mountAt(o.report, '/proc/sys')[0].opts).toContain('ro');
      for (const d of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'ptmx']) expect(o.report.devices[d], d).toBeDefined();
    },
  },
  {
    name: 'writable rootfs with private propagation',
    args: ['mounts', 'mkdir', '/newdir'],
    mutate: (s) => {
      s.root.readonly = false;
      s.linux.rootfsPropagation = 'private';
    },
    check: (o) => {
      expect(mountAt(o.report, '/')[0].opts).toContain('rw');
      expect(o.report.mkdir['/newdir']).toBe('ok');
    },
  },
  {
    name: 'rootfs with slave propagation',
    args: ['mounts'],
    mutate: (s) => {
      s.linux.rootfsPropagation = 'slave';
    },
  },
  {
    name: 'tmpfs with size, mode and flags',
    args: ['mounts', 'stat', '/mnt/tmp'],
    mutate: (s) => {
      s.mounts.push({
        destination: '/mnt/tmp',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', 'noexec', 'size=2m', 'mode=1770', 'uid=1000', 'gid=1000'],
      });
    },
    check: (o) => {
      expect(mountAt(o.report, '/mnt/tmp')[0].super).toContain('size=2048k');
      expect(o.report['stat:/mnt/tmp'].mode).toBe('1770');
    },
  },
  {
    name: 'bind mount read-only with nosuid, nodev, noexec',
    args: ['mounts', 'stat', '/mnt/bind/file', 'mkdir', '/mnt/bind/x'],
    setup: hostTree,
    mutate: (s, ctx) => {
      s.mounts.push({ destination: '/mnt/bind', type: 'bind', source: ctx.src, options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] });
    },
    check: (o) => {
      const m = mountAt(o.report, '/mnt/bind')[0];
      expect(m.opts).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
      expect(o.report.mkdir['/mnt/bind/x']).toBe('EROFS');
      // A plain bind does not bring the submount.
      expect(mountAt(o.report, '/mnt/bind/sub')).toEqual([]);
    },
  },
  {
    name: 'rbind brings submounts',
    args: ['mounts', 'stat', '/mnt/rbind/sub/inner'],
    setup: hostTree,
    mutate: (s, ctx) => {
      s.mounts.push({ destination: '/mnt/rbind', type: 'none', source: ctx.src, options: ['rbind', 'ro'] });
    },
    check: (o) => {
      expect(mountAt(o.report, '/mnt/rbind/sub')).toHaveLength(1);
      expect(o.report['stat:/mnt/rbind/sub/inner'].type).toBe('file');
    },
  },
  {
    name: 'bind mount of a single file',
    args: ['mounts', 'read', '/etc/tsct-file'],
    setup: hostTree,
    mutate: (s, ctx) => {
      s.mounts.push({ destination: '/etc/tsct-file', type: 'bind', source: `${ctx.src}/file`, options: ['bind', 'ro'] });
    },
    check: (o) => expect(o.report['read:/etc/tsct-file']).toBe('from the host'),
  },
  {
    name: 'second proc and mqueue mounts',
    args: ['mounts'],
    mutate: (s) => {
      s.mounts.push({ destination: '/mnt/proc2', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] });
      s.mounts.push({ destination: '/mnt/mq', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] });
    },
    check: (o) => expect(mountAt(o.report, '/mnt/proc2')[0].fstype).toBe('proc'),
  },
  {
    name: 'mount target behind a symlink stays inside the rootfs',
    args: ['mounts', 'stat', '/mnt/link'],
    setup: () => ({ escape: `/${uniqueName('tsct-escape-')}` }),
    prepare: (b, ctx) => {
      symlinkSync(ctx.escape, path.join(b.rootfs, 'mnt/link'));
      onCleanup(`no host ${ctx.escape}`, () => {
        if (existsSync(ctx.escape)) {
          execFileSync('umount', ['-l', `${ctx.escape}/t`], { stdio: 'ignore' });
          throw new Error(`the runtime followed a rootfs symlink out to the host: ${ctx.escape}`);
        }
      });
    },
    mutate: (s) => {
      s.root.readonly = false;
      s.mounts.push({ destination: '/mnt/link/t', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    },
    check: (o, ctx) => {
      expect(existsSync(ctx.escape)).toBe(false);
      expect(o.report.mounts.some((m: Mount) => m.target === '<escape>/t')).toBe(true);
    },
  },
  {
    name: 'extra device node with owner and mode',
    args: ['devices', 'read', '/dev/tsct-zero'],
    mutate: (s) => {
      s.linux.devices = [{ path: '/dev/tsct-zero', type: 'c', major: 1, minor: 5, fileMode: 0o640, uid: 1000, gid: 5 }];
      s.linux.resources!.devices!.push({ allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' });
    },
    check: (o) => {
      expect(o.report.devices['tsct-zero']).toEqual({ type: 'chr', mode: '0640', uid: 1000, gid: 5, rdev: '1:5' });
      // Owned by 1000:5, mode 0640, and root here has no CAP_DAC_OVERRIDE.
      expect(o.report['read:/dev/tsct-zero']).toEqual({ error: 'EACCES' });
    },
  },
  {
    name: 'custom masked and readonly paths',
    args: ['mounts', 'stat', '/etc/passwd', 'read', '/etc/passwd', 'mkdir', '/home/tsct/x', 'stat', '/home/tsct'],
    mutate: (s) => {
      s.root.readonly = false;
      s.linux.maskedPaths = ['/etc/passwd', '/var', '/does/not/exist'];
      s.linux.readonlyPaths = ['/home', '/does/not/exist/either'];
    },
    check: (o) => {
      expect(o.report['read:/etc/passwd']).toBe('');
      expect(o.report.mkdir['/home/tsct/x']).toBe('EROFS');
    },
  },
  {
    name: "read-only paths keep the flags of the mount under them (Docker's /proc: nosuid,noexec,nodev)",
    args: ['mounts'],
    mutate: (s) => {
      const proc = s.mounts.find((m) => m.destination === '/proc');
      if (proc) proc.options = ['nosuid', 'noexec', 'nodev'];
    },
    check: (o) => {
      const sys = mountAt(o.report, '/proc/sys')[0].opts;
      for (const flag of ['ro', 'nosuid', 'nodev', 'noexec']) expect(sys, flag).toContain(flag);
    },
  },
];

diffSuite('tscrun vs runc: mounts and devices', cases, TSCRUN_KNOWN_GAPS);
