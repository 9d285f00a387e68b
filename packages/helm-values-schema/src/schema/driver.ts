import { ValuesErrorCode } from '../errors.ts';
import { DIGEST_PATTERN, REGISTRY_PATTERN, REPOSITORY_PATTERN, TAG_PATTERN } from './image.ts';
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
      'modern_ebpf (CO-RE, kernel >= 5.8, nothing to build), kmod (kernel module), auto (falcoctl picks at start). Not auto as upstream: auto runs a privileged loader that may build a kernel module, and every supported EKS kernel runs modern_ebpf. ebpf and gvisor render only for Falco older than 0.44.',
      [...CURRENT_DRIVER_KINDS, ...LEGACY_DRIVER_KINDS],
      'modern_ebpf',
    ),
    sysfsMountPath: string(
      'Host path mounted read-only at the same path for modern_ebpf and auto (driver.modernEbpf.sysfsMount): tracefs below it is where the TOCTOU mitigation attaches. /sys/kernel covers tracefs and debugfs; /sys/kernel/tracing or /sys/kernel/debug mount less.',
      '/sys/kernel',
      { pattern: '^/sys/kernel(/[A-Za-z0-9_.-]+)*$', hint: 'write /sys/kernel, /sys/kernel/tracing or /sys/kernel/debug', example: '/sys/kernel/tracing' },
    ),
    modernEbpf: object('The modern eBPF driver.', {
      leastPrivileged: boolean('Run Falco with the capabilities BPF, PERFMON, SYS_RESOURCE and SYS_PTRACE instead of privileged.', false),
      bufSizePreset: bufSizePreset(),
      cpusForEachBuffer: integer('CPUs sharing one ring buffer.', 2, { minimum: 0 }),
      dropFailedExit: dropFailedExit(),
      disableIterators: boolean('Read the initial process table from /proc instead of BPF iterators.', false),
      sysfsMount: boolean('Mount driver.sysfsMountPath (without it Falco runs without the TOCTOU mitigation of open, connect and creat).', true),
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
        initContainer: object('The driver loader init container.', {
          image: object(
            'Its image; an empty repository means the Falco image (which carries falcoctl). An upstream falco-driver-loader image mirrored into your registry works too.',
            {
              registry: string('Registry; empty means that of the Falco image. global.imageRegistry, when set, replaces it.', '', {
                pattern: `^(${REGISTRY_PATTERN.slice(1, -1)})?$`,
                code: ValuesErrorCode.BadImageReference,
                hint: 'name your private registry as host[:port][/path] in lower case, without a scheme',
              }),
              repository: string('Repository; empty means the Falco image (image.*).', '', {
                pattern: `^(${REPOSITORY_PATTERN.slice(1, -1)})?$`,
                code: ValuesErrorCode.BadImageReference,
                hint: 'write the repository alone in lower case, e.g. falcosecurity/falco-driver-loader',
              }),
              tag: string('Tag; empty means falcoVersion.', '', {
                pattern: TAG_PATTERN,
                code: ValuesErrorCode.BadImageReference,
                hint: 'write a tag such as 0.44.1',
              }),
              digest: string('Content digest; when set it is used instead of the tag.', '', {
                pattern: DIGEST_PATTERN,
                code: ValuesErrorCode.BadImageReference,
                hint: 'write the digest as sha256: followed by 64 lower-case hex digits',
              }),
              pullPolicy: oneOfValues('Kubernetes imagePullPolicy.', ['IfNotPresent', 'Always', 'Never'] as const, 'IfNotPresent'),
            },
          ),
          env: list('Extra environment, rendered through tpl.', passThrough('An EnvVar.', undefined)),
          args: list('Extra arguments of falcoctl driver install, e.g. [--http-insecure].', { type: 'string' }),
          resources: passThrough('Resources of the container.'),
          securityContext: passThrough('Security context; empty means privileged (loading a kernel module needs it).'),
        }),
      },
    ),
  },
);
