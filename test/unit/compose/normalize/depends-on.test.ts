import { describe, expect, it } from 'vitest';
import { errorsOf, printed } from './helpers.js';

const started = { condition: 'service_started', required: true };

describe('depends_on', () => {
  it('list form to a map with service_started and required', () => {
    expect(printed('services:\n  web:\n    image: x\n    depends_on: [db]\n  db:\n    image: y\n').services.web.depends_on).toEqual({ db: started });
  });

  it('long form keeps condition, restart, required', () => {
    const out = printed(
      'services:\n  web:\n    image: x\n    depends_on:\n      db:\n        condition: service_healthy\n        restart: true\n      init:\n        condition: service_completed_successfully\n        required: false\n  db:\n    image: y\n  init:\n    image: z\n',
    );
    expect(out.services.web.depends_on).toEqual({
      db: { condition: 'service_healthy', restart: true, required: true },
      init: { condition: 'service_completed_successfully', required: false },
    });
  });

  it('links, network_mode, ipc and pid imply dependencies', () => {
    const out = printed(
      'services:\n  web:\n    image: x\n    links: ["db:database"]\n    ipc: "service:shm"\n    pid: "service:pids"\n  side:\n    image: x\n    network_mode: "service:web"\n  db: {image: y}\n  shm: {image: y}\n  pids: {image: y}\n',
    );
    const implicit = { condition: 'service_started', restart: true, required: true };
    expect(out.services.web.depends_on).toEqual({ db: implicit, shm: implicit, pids: implicit });
    expect(out.services.side.depends_on).toEqual({ web: implicit });
    expect(out.services.side.networks).toBeUndefined();
  });

  it('an explicit dependency is not overridden by an implicit one', () => {
    const out = printed('services:\n  web:\n    image: x\n    links: [db]\n    depends_on:\n      db:\n        condition: service_healthy\n  db: {image: y}\n');
    expect(out.services.web.depends_on).toEqual({ db: { condition: 'service_healthy', required: true } });
  });

  it('undefined service', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    depends_on: [db]\n')).toEqual([
      'service "web" depends on undefined service "db": invalid compose project',
    ]);
  });

  it('network_mode naming a missing service', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    network_mode: "service:vpn"\n')).toEqual([
      'service "web" depends on undefined service "vpn": invalid compose project',
      "service \"vpn\" not found for network_mode 'service:vpn'",
    ]);
  });

  it('all consistency errors are reported together', () => {
    expect(errorsOf('services:\n  a:\n    image: x\n    depends_on: [x]\n  b:\n    depends_on: [y]\n')).toEqual([
      'service "a" depends on undefined service "x": invalid compose project',
      'service "b" has neither an image nor a build context specified: invalid compose project',
      'service "b" depends on undefined service "y": invalid compose project',
    ]);
  });
});
