import type { FalcoEvent } from '../falco-event.ts';

/**
 * An event exactly as Falcosidekick's webhook output posts it: its FalcoPayload marshalled by Go's encoding/json
 * (priority capitalised, time as RFC 3339 with nanoseconds, uuid/tags/hostname omitted when empty).
 */
export function sidekickEvent(overrides: Partial<FalcoEvent> & { at?: Date } = {}): FalcoEvent {
  const { at = new Date(), ...fields } = overrides;
  const time = `${at.toISOString().slice(0, 23)}${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}Z`;
  return {
    uuid: crypto.randomUUID(),
    output: `${time.slice(11, 29)}: Notice A shell was spawned in a container with an attached terminal (evt_type=execve user=root process=bash)`,
    priority: 'Notice',
    rule: 'Terminal shell in container',
    time,
    output_fields: {
      'container.id': 'f2c4a1b9e3d7',
      'container.image.repository': 'docker.io/library/nginx',
      'evt.time': at.getTime() * 1_000_000,
      'evt.type': 'execve',
      'k8s.ns.name': 'default',
      'k8s.pod.name': 'web-0',
      'proc.cmdline': 'bash',
      'proc.name': 'bash',
      'proc.tty': 34816,
      'user.loginuid': -1,
      'user.name': 'root',
    },
    source: 'syscall',
    tags: ['T1059', 'container', 'maturity_stable', 'mitre_execution', 'shell'],
    hostname: 'node-a',
    ...fields,
  };
}
