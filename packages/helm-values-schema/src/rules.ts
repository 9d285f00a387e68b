import { ValuesErrorCode, type ValuesIssue } from './errors.ts';
import type { FalcoAirgapValues } from './generated/values.ts';
import { LEGACY_OPTIONS, versionOf } from './legacy-options.ts';
import { DEFAULT_FALCO_VERSION, isAtLeast } from './schema/falco-version.ts';
import { LOCKED_RULES_DIR } from './schema/plugin-strategy.ts';
import { formatPath } from './value-path.ts';

/** Where the chart mounts customRules; it lists each file itself so the load order is explicit. */
export const CUSTOM_RULES_DIR = '/etc/falco/rules.d';

/** The Falco version the values describe: falcoVersion, or the chart's appVersion. */
export function effectiveFalcoVersion(values: FalcoAirgapValues): string {
  return values.falcoVersion || DEFAULT_FALCO_VERSION;
}

/** Whether the chart loads the container plugin itself: it needs a node, so a DaemonSet with a driver. */
export function containerPluginManaged(values: FalcoAirgapValues): boolean {
  return values.collectors.enabled && values.collectors.containerEngine.enabled && values.controller.kind === 'daemonset' && values.driver.enabled;
}

/** Whether the chart adds the k8smeta plugin (unless falco.plugins defines it already, as the upstream chart does). */
export function kubernetesPluginManaged(values: FalcoAirgapValues): boolean {
  return values.collectors.enabled && values.collectors.kubernetes.enabled && values.controller.kind === 'daemonset' && values.driver.enabled;
}

function valueAt(values: unknown, dotted: string): unknown {
  let current = values;
  for (const key of dotted.split('.')) current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[key] : undefined;
  return current;
}

type Rule = (values: FalcoAirgapValues) => ValuesIssue[];

const removedOptions: Rule = (values) => {
  const version = effectiveFalcoVersion(values);
  const parsed = versionOf(version);
  return LEGACY_OPTIONS.filter((option) => valueAt(values, option.path) === option.value && isAtLeast(parsed, versionOf(option.removedIn))).map((option) => ({
    code: ValuesErrorCode.RemovedOption,
    path: option.path,
    message: `${JSON.stringify(option.value)} selects ${option.what}, which Falco removed in ${option.removedIn} (deprecated in ${option.deprecatedIn}); this release runs Falco ${version}`,
    hint: option.instead,
  }));
};

const s3Source: Rule = (values) => {
  if (values.pluginStrategy !== 's3') return [];
  const { s3 } = values;
  const issues: ValuesIssue[] = [];
  if (!s3.bucket) {
    issues.push({
      code: ValuesErrorCode.S3BucketRequired,
      path: 's3.bucket',
      message: 'pluginStrategy s3 needs the bucket that holds the plugin store',
      hint: 'set s3.bucket to the bucket falco-airgap publish writes to, or use pluginStrategy sidecar',
    });
  }
  if (Boolean(s3.channel) === Boolean(s3.release)) {
    issues.push({
      code: ValuesErrorCode.S3ChannelOrRelease,
      path: s3.channel ? 's3.release' : 's3.channel',
      message: s3.channel ? 's3.channel and s3.release are both set' : 'pluginStrategy s3 needs a channel to follow or a release to pin',
      hint: s3.channel
        ? 'keep one: a channel follows promotions, a release pins one set'
        : 'set s3.channel (e.g. prod) or s3.release (an id from falco-airgap releases list)',
    });
  }
  if (s3.onUnavailable === 'use-cached' && !s3.cacheHostPath) {
    issues.push({
      code: ValuesErrorCode.S3CacheRequired,
      path: 's3.cacheHostPath',
      message: 's3.onUnavailable use-cached needs a node directory to keep the last verified plugins in',
      hint: 'set s3.cacheHostPath (e.g. /var/lib/falco-airgap/plugin-cache) or use s3.onUnavailable fail',
    });
  }
  return issues;
};

const deploymentWithoutDriver: Rule = (values) =>
  values.controller.kind === 'deployment' && values.driver.enabled
    ? [
        {
          code: ValuesErrorCode.DeploymentWithDriver,
          path: 'driver.enabled',
          message: 'controller.kind deployment runs plugin-only sources and cannot load a driver',
          hint: 'set driver.enabled false for a Deployment, or use controller.kind daemonset for system calls',
        },
      ]
    : [];

const leastPrivileged: Rule = (values) => {
  const { driver } = values;
  if (!driver.enabled) return [];
  const issues: ValuesIssue[] = [];
  if (driver.modernEbpf.leastPrivileged && driver.kind !== 'modern_ebpf') {
    issues.push({
      code: ValuesErrorCode.LeastPrivilegedUnsupported,
      path: 'driver.modernEbpf.leastPrivileged',
      message: `the least-privileged mode needs driver.kind modern_ebpf, not ${driver.kind}`,
      hint:
        driver.kind === 'ebpf'
          ? 'use driver.ebpf.leastPrivileged for the legacy probe'
          : 'use driver.kind modern_ebpf, or drop leastPrivileged: kmod and auto load a kernel module and need privileged',
    });
  }
  if (driver.ebpf.leastPrivileged && driver.kind !== 'ebpf') {
    issues.push({
      code: ValuesErrorCode.LeastPrivilegedUnsupported,
      path: 'driver.ebpf.leastPrivileged',
      message: `driver.ebpf.leastPrivileged applies to driver.kind ebpf, not ${driver.kind}`,
      hint: driver.kind === 'modern_ebpf' ? 'use driver.modernEbpf.leastPrivileged' : 'drop it: kmod and auto need privileged',
    });
  }
  return issues;
};

const metricsEndpoint: Rule = (values) => {
  const issues: ValuesIssue[] = [];
  if (values.metrics.enabled && !values.falco.webserver.enabled) {
    issues.push({
      code: ValuesErrorCode.MetricsNeedWebserver,
      path: 'metrics.enabled',
      message: 'metrics are served by the Falco webserver, which falco.webserver.enabled turns off',
      hint: 'set falco.webserver.enabled true, or metrics.enabled false',
    });
  }
  if (values.serviceMonitor.create && !(values.metrics.enabled && values.metrics.service.create)) {
    issues.push({
      code: ValuesErrorCode.ServiceMonitorNeedsMetrics,
      path: 'serviceMonitor.create',
      message: 'a ServiceMonitor scrapes /metrics through the metrics Service, and metrics.enabled or metrics.service.create is off',
      hint: 'set metrics.enabled true and metrics.service.create true, or serviceMonitor.create false',
    });
  }
  return issues;
};

const plugins: Rule = (values) => {
  const issues: ValuesIssue[] = [];
  const defined = new Map<string, number>();
  values.falco.plugins.forEach((plugin, index) => {
    if (defined.has(plugin.name)) {
      issues.push({
        code: ValuesErrorCode.DuplicatePlugin,
        path: formatPath(['falco', 'plugins', index, 'name']),
        message: `plugin "${plugin.name}" is defined twice (also at falco.plugins[${defined.get(plugin.name)}])`,
        hint: 'keep one entry per plugin; with helm, lists are replaced whole, so repeat the full list in the last layer',
      });
    } else defined.set(plugin.name, index);
  });
  const managed = containerPluginManaged(values);
  if (kubernetesPluginManaged(values) && !defined.has('k8smeta')) defined.set('k8smeta', -1);
  values.falco.load_plugins.forEach((name, index) => {
    const path = formatPath(['falco', 'load_plugins', index]);
    if (name === 'container' && managed) {
      issues.push({
        code: ValuesErrorCode.PluginManaged,
        path,
        message: 'the container plugin is loaded by collectors.containerEngine',
        hint: 'remove container from falco.load_plugins (and falco.plugins), or set collectors.containerEngine.enabled false to configure it yourself',
      });
    } else if (!defined.has(name)) {
      issues.push({
        code: ValuesErrorCode.PluginNotDefined,
        path,
        message: `load_plugins names "${name}" but falco.plugins has no entry for it, so Falco would not start`,
        hint: `add {name: ${name}, library_path: lib${name}.so} to falco.plugins`,
      });
    }
  });
  if (managed && defined.has('container')) {
    issues.push({
      code: ValuesErrorCode.PluginManaged,
      path: formatPath(['falco', 'plugins', defined.get('container')!, 'name']),
      message: 'the container plugin is configured by collectors.containerEngine',
      hint: 'remove it from falco.plugins, or set collectors.containerEngine.enabled false to configure it yourself',
    });
  }
  return issues;
};

const rulesFiles: Rule = (values) =>
  values.falco.rules_files.flatMap((file, index) =>
    file.startsWith(`${CUSTOM_RULES_DIR}/`) && file.replace(/\/+$/, '') !== CUSTOM_RULES_DIR
      ? [
          {
            code: ValuesErrorCode.RulesDirManaged,
            path: formatPath(['falco', 'rules_files', index]),
            message: `${CUSTOM_RULES_DIR} holds customRules, which the chart lists itself in byte order of their names where ${CUSTOM_RULES_DIR} is listed`,
            hint: `replace ${file} with ${CUSTOM_RULES_DIR} (the customRules files in byte order) and name the file in customRules`,
          },
        ]
      : [],
  );

const overrides: Rule = (values) => {
  if (!values.rulesOverrides.enabled) return [];
  const locked = values.lockedRules.enabled && (values.pluginStrategy === 'sidecar' || values.pluginStrategy === 's3');
  const lockedFalcoRules = locked && (values.lockedRules.files.length === 0 || values.lockedRules.files.includes('falco_rules.yaml'));
  // Rule sets named one by one replace the image's falco_rules.yaml, unless the locked-rules directory is listed.
  const replaced = locked && values.lockedRules.files.length > 0 && !values.falco.rules_files.includes(LOCKED_RULES_DIR);
  const imageFalcoRules = !replaced && values.falco.rules_files.includes('/etc/falco/falco_rules.yaml');
  if (lockedFalcoRules || imageFalcoRules) return [];
  return [
    {
      code: ValuesErrorCode.OverridesNeedFalcoRules,
      path: 'rulesOverrides.enabled',
      message: 'the overrides append to rules of falco_rules.yaml, which neither lockedRules.files nor falco.rules_files loads, so Falco would not start',
      hint: 'add falco_rules.yaml to lockedRules.files (or /etc/falco/falco_rules.yaml to falco.rules_files), or set rulesOverrides.enabled false',
    },
  ];
};

const falcosidekick: Rule = (values) => {
  const sidekick = values.falcosidekick;
  if (!sidekick.enabled) return [];
  const issues: ValuesIssue[] = [];
  if (values.falco.http_output.url) {
    issues.push({
      code: ValuesErrorCode.HttpOutputManaged,
      path: 'falco.http_output.url',
      message: 'falcosidekick.enabled points falco.http_output at the Falcosidekick Service, and falco.http_output.url names another endpoint',
      hint: 'empty falco.http_output.url, or set falcosidekick.enabled false to post alerts there yourself',
    });
  }
  const { ingestor } = sidekick;
  if (sidekick.customWebhook.address) return issues;
  if (!ingestor.url) {
    issues.push({
      code: ValuesErrorCode.FalcosidekickNoDestination,
      path: 'falcosidekick.ingestor.url',
      message: 'Falcosidekick has nowhere to send the alerts: neither falcosidekick.ingestor.url nor falcosidekick.customWebhook.address is set',
      hint: 'set falcosidekick.ingestor.url to the event ingestor (e.g. https://events.example.internal/api/v1/events), or falcosidekick.customWebhook.address',
    });
  } else if (!ingestor.token && !ingestor.tokenSecret.name) {
    issues.push({
      code: ValuesErrorCode.FalcosidekickTokenRequired,
      path: 'falcosidekick.ingestor.tokenSecret.name',
      message:
        "the event ingestor accepts alerts only with the cluster's token, and neither falcosidekick.ingestor.tokenSecret.name nor falcosidekick.ingestor.token is set",
      hint: 'name the Secret holding the token in falcosidekick.ingestor.tokenSecret.name (key: tokenSecret.key), or set falcosidekick.ingestor.token',
    });
  }
  if (ingestor.token && ingestor.tokenSecret.name) {
    issues.push({
      code: ValuesErrorCode.FalcosidekickTokenTwice,
      path: 'falcosidekick.ingestor.token',
      message: 'falcosidekick.ingestor.token and falcosidekick.ingestor.tokenSecret.name are both set',
      hint: 'keep tokenSecret.name (the token stays out of the helm release) and remove token',
    });
  }
  return issues;
};

/** The codes the cross-value checks report; the chart's _validate.tpl reports each of them too. */
export const RULE_CODES: readonly ValuesErrorCode[] = [
  ValuesErrorCode.RemovedOption,
  ValuesErrorCode.S3BucketRequired,
  ValuesErrorCode.S3ChannelOrRelease,
  ValuesErrorCode.S3CacheRequired,
  ValuesErrorCode.DeploymentWithDriver,
  ValuesErrorCode.LeastPrivilegedUnsupported,
  ValuesErrorCode.MetricsNeedWebserver,
  ValuesErrorCode.ServiceMonitorNeedsMetrics,
  ValuesErrorCode.PluginNotDefined,
  ValuesErrorCode.PluginManaged,
  ValuesErrorCode.DuplicatePlugin,
  ValuesErrorCode.RulesDirManaged,
  ValuesErrorCode.OverridesNeedFalcoRules,
  ValuesErrorCode.HttpOutputManaged,
  ValuesErrorCode.FalcosidekickNoDestination,
  ValuesErrorCode.FalcosidekickTokenRequired,
  ValuesErrorCode.FalcosidekickTokenTwice,
];

/** Checks across values that a JSON Schema cannot express; the chart's templates fail with the same codes. */
export const RULES: readonly Rule[] = [
  removedOptions,
  s3Source,
  deploymentWithoutDriver,
  leastPrivileged,
  metricsEndpoint,
  plugins,
  rulesFiles,
  overrides,
  falcosidekick,
];

/** The cross-value problems of values that already match the schema. */
export function checkRules(values: FalcoAirgapValues): ValuesIssue[] {
  return RULES.flatMap((rule) => rule(values));
}
