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
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
