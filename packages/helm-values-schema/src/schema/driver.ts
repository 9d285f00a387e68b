import { boolean, integer, list, object, oneOfValues, passThrough, string, type SchemaNode } from './nodes.ts';

/** Driver kinds Falco 0.44 still has. */
export const CURRENT_DRIVER_KINDS = ['modern_ebpf', 'kmod', 'auto'] as const;
/** Driver kinds that render only for Falco releases that still ship them (see legacy-options.ts). */
export const LEGACY_DRIVER_KINDS = ['ebpf', 'gvisor'] as const;

const bufSizePreset = () => integer('Size preset (0-10) of the buffer shared between the driver and Falco.', 4, { minimum: 0, maximum: 10 });
const dropFailedExit = () => boolean('Drop failed system call exit events in the driver.', false);

export const driver: SchemaNode = object(
  'How Falco sees system calls. A Deployment (controller.kind) runs plugin-only sources and needs driver.enabled false.',
  {
    enabled: boolean('Load a driver; false for plugin-only sources such as k8saudit.', true),
    kind: oneOfValues(
      'modern_ebpf (CO-RE, kernel >= 5.8, nothing to build), kmod (kernel module), auto (falcoctl picks at start). ebpf and gvisor render only for Falco older than 0.44.',
      [...CURRENT_DRIVER_KINDS, ...LEGACY_DRIVER_KINDS],
      'modern_ebpf',
    ),
    modernEbpf: object('The modern eBPF driver.', {
      leastPrivileged: boolean('Run Falco with the capabilities BPF, PERFMON, SYS_RESOURCE and SYS_PTRACE instead of privileged.', false),
      bufSizePreset: bufSizePreset(),
      cpusForEachBuffer: integer('CPUs sharing one ring buffer.', 2, { minimum: 0 }),
      dropFailedExit: dropFailedExit(),
    }),
    kmod: object('The kernel module driver (always privileged).', { bufSizePreset: bufSizePreset(), dropFailedExit: dropFailedExit() }),
    ebpf: object('Legacy eBPF probe; removed in Falco 0.44.', {
      path: string('Probe file built or fetched by the driver loader.', '${HOME}/.falco/falco-bpf.o'),
      leastPrivileged: boolean('Run with SYS_ADMIN, SYS_RESOURCE and SYS_PTRACE instead of privileged.', false),
      hostNetwork: boolean('Use the host network so the probe can enable the eBPF JIT.', false),
      bufSizePreset: bufSizePreset(),
      dropFailedExit: dropFailedExit(),
    }),
    gvisor: object('gVisor (runsc) sandboxes; removed in Falco 0.44.', {
      runsc: object('Where runsc lives on the nodes.', {
        path: string('Directory of the runsc binary on the host.', '/home/containerd/usr/local/sbin'),
        root: string('runsc state directory on the host.', '/run/containerd/runsc'),
        config: string('runsc configuration on the host.', '/run/containerd/runsc/config.toml'),
      }),
    }),
    loader: object(
      'Init container installing the kernel module or legacy probe with falcoctl from the Falco image (kmod, auto, ebpf). It never downloads unless repos names an internal mirror.',
      {
        enabled: boolean('Run the driver loader for kmod, auto and ebpf.', true),
        repos: list('Internal mirrors of prebuilt drivers (the layout of download.falco.org/driver); empty means build from the node kernel headers only.', {
          type: 'string',
          pattern: '^https?://[^\\s]+$',
          'x-hint': 'write an http:// or https:// URL of your internal driver mirror',
          'x-example': 'https://artifacts.internal/falco/driver',
        }),
        compile: boolean('Build the driver on the node when no prebuilt one is found.', true),
        resources: passThrough('Resources of the driver loader container.'),
        env: list('Extra environment of the driver loader container.', passThrough('An EnvVar.', undefined)),
      },
    ),
  },
);
