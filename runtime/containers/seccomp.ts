// The default seccomp policy (seccomp-default.json, moby's rules as a data
// table) turned into the OCI `linux.seccomp` for one container: rules are
// kept or dropped by the host architecture and the container's capabilities,
// as moby does at create time.

import defaultPolicy from './seccomp-default.json' with { type: 'json' };
import type { OciSeccomp, OciSeccompSyscall, OciSeccompArg } from './oci-types.js';

export type HostArch = 'amd64' | 'arm64';

interface PolicyRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
  when?: { arch?: string[]; notArch?: string[]; cap?: string[]; notCap?: string[]; minKernel?: string };
}
export interface SeccompPolicy {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: Record<string, string[]>;
  rules: PolicyRule[];
}

// Imported (not read from disk) so that the build copies the data file next to the code.
export function defaultSeccompPolicy(): SeccompPolicy {
  return defaultPolicy as unknown as SeccompPolicy;
}

export function hostArch(): HostArch {
  return process.arch === 'arm64' ? 'arm64' : 'amd64';
}

function kernelAtLeast(kernel: string, min: string): boolean {
  const a = kernel.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const b = min.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** Rules that apply to this arch and capability set, as OCI syscall entries. */
export function seccompForContainer(policy: SeccompPolicy, caps: readonly string[], arch: HostArch, kernelRelease = '6.0'): OciSeccomp {
  const capSet = new Set(caps);
  const syscalls: OciSeccompSyscall[] = [];
  for (const rule of policy.rules) {
    const w = rule.when ?? {};
    if (w.arch && !w.arch.includes(arch)) continue;
    if (w.notArch && w.notArch.includes(arch)) continue;
    if (w.cap && !w.cap.every((c) => capSet.has(c))) continue;
    if (w.notCap && w.notCap.some((c) => capSet.has(c))) continue;
    if (w.minKernel && !kernelAtLeast(kernelRelease, w.minKernel)) continue;
    const entry: OciSeccompSyscall = { names: [...rule.names], action: rule.action };
    if (rule.errnoRet !== undefined) entry.errnoRet = rule.errnoRet;
    if (rule.args) entry.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(entry);
  }
  const out: OciSeccomp = { defaultAction: policy.defaultAction, architectures: [...(policy.architectures[arch] ?? [])], syscalls };
  if (policy.defaultErrnoRet !== undefined) out.defaultErrnoRet = policy.defaultErrnoRet;
  return out;
}
