import { parseFalcoVersion, type FalcoVersion } from './schema/falco-version.ts';

/** An option Falco deprecated and then removed; the chart renders it only for releases that still have it. */
export interface LegacyOption {
  /** Dotted values path, as the chart's template checks name it. */
  path: string;
  /** The value that turns the legacy feature on. */
  value: string | boolean;
  what: string;
  deprecatedIn: string;
  removedIn: string;
  instead: string;
}

// The chart's _validate.tpl repeats this table in Go templates; a unit test keeps the two in step.
export const LEGACY_OPTIONS: readonly LegacyOption[] = [
  {
    path: 'driver.kind',
    value: 'ebpf',
    what: 'the legacy eBPF probe',
    deprecatedIn: '0.43.0',
    removedIn: '0.44.0',
    instead: 'use driver.kind=modern_ebpf (kernel 5.8 or later, nothing to build) or driver.kind=kmod',
  },
  {
    path: 'driver.kind',
    value: 'gvisor',
    what: 'the gVisor engine',
    deprecatedIn: '0.43.0',
    removedIn: '0.44.0',
    instead: 'run Falco with driver.kind=modern_ebpf on the nodes, or pin falcoVersion to 0.43.x until the gVisor workloads move',
  },
  {
    path: 'falco.grpc.enabled',
    value: true,
    what: 'the gRPC server',
    deprecatedIn: '0.43.0',
    removedIn: '0.44.0',
    instead: 'send alerts with falco.http_output (e.g. to falcosidekick) or collect falco.json_output from stdout',
  },
  {
    path: 'falco.grpc_output.enabled',
    value: true,
    what: 'the gRPC output',
    deprecatedIn: '0.43.0',
    removedIn: '0.44.0',
    instead: 'send alerts with falco.http_output (e.g. to falcosidekick) or collect falco.json_output from stdout',
  },
];

export function versionOf(text: string): FalcoVersion {
  const version = parseFalcoVersion(text);
  if (!version) throw new TypeError(`not a Falco version: ${text}`);
  return version;
}
