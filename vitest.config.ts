import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure code (no root, no kernel), `integration` starts
// real containers, registries and engines on this machine. Integration files
// run one at a time: they share the kernel (mounts, bridges, cgroups) and this
// is a 2-core machine.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/helpers/default-engine-guard.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          pool: 'forks',
          // Engines started by tests take their subnets from a test pool, never the host's 172.17/16.
          // Their bridges go when the engine stops with nothing running (TSCOMPOSE_EPHEMERAL_NETWORKS, test-only).
          env: { TSCOMPOSE_DEFAULT_ADDRESS_POOL: 'base=10.213.0.0/16,size=24', TSCOMPOSE_EPHEMERAL_NETWORKS: '1' },
        },
      },
    ],
  },
});
