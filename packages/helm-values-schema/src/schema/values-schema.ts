import { driver } from './driver.ts';
import { falcoConfig } from './falco-config.ts';
import { SEMVER_PATTERN } from './falco-version.ts';
import { ValuesErrorCode } from '../errors.ts';
import { image, imageDefinition, REGISTRY_PATTERN } from './image.ts';
import { list, object, string, type SchemaNode } from './nodes.ts';
import { metrics, service, serviceMonitor, test } from './observability.ts';
import { lockedRules, pluginLoader, pluginStrategy, s3 } from './plugin-strategy.ts';
import {
  certs,
  collectors,
  controller,
  customRules,
  customRulesConfigMaps,
  DNS_LABEL_OR_EMPTY,
  healthChecks,
  imagePullSecret,
  podSettings,
  rbac,
  rulesOverrides,
  scc,
  serviceAccount,
  services,
} from './workload.ts';
import { falcosidekick } from './falcosidekick.ts';

const registryOrEmpty = REGISTRY_PATTERN.replace(/^\^/, '^(').replace(/\$$/, ')?$');
const nameOverride = (description: string) =>
  string(description, '', { pattern: DNS_LABEL_OR_EMPTY, maxLength: 63, hint: 'use a lower-case DNS label: letters, digits and "-"', example: 'falco' });

/**
 * The values of helm/falco-airgap: the single source of truth for values.schema.json, values.yaml,
 * the README values table and the FalcoAirgapValues type. Property order is values.yaml order.
 */
export const valuesSchema: SchemaNode = {
  ...object('Values of the falco-airgap Helm chart.', {
    global: object('Settings shared by every image of the chart.', {
      imageRegistry: string("Private registry that replaces the registry of every image of the chart; empty keeps each image's own.", '', {
        pattern: registryOrEmpty,
        code: ValuesErrorCode.BadImageReference,
        hint: 'name your private registry as host[:port][/path] in lower case, without a scheme',
        example: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/falco-airgap',
      }),
      imagePullSecrets: list('Pull secrets of every pod of the chart, e.g. [{name: regcred}].', imagePullSecret),
    }),
    imagePullSecrets: list('Pull secrets of the Falco pods, as the upstream chart names them; global.imagePullSecrets comes first.', imagePullSecret),
    nameOverride: nameOverride('Replaces the chart name in object names.'),
    fullnameOverride: nameOverride('Replaces the whole object name prefix.'),
    namespaceOverride: nameOverride('Namespace of the objects; empty means the release namespace.'),
    falcoVersion: string('Falco version of the images; gates legacy options and is the default tag of every image. Empty means the chart appVersion.', '', {
      pattern: SEMVER_PATTERN.replace(/^\^/, '^(').replace(/\$$/, ')?$'),
      hint: 'write the Falco version as X.Y.Z, e.g. 0.44.1 (no leading v)',
      example: '0.44.1',
    }),
    pluginStrategy,
    image: image('The Falco image (pluginStrategy sidecar or none; the driver loader and helm test use it too).', 'falco'),
    pluginLoader,
    s3,
    lockedRules,
    controller,
    services,
    driver,
    collectors,
    falco: falcoConfig,
    rulesOverrides,
    customRules,
    customRulesConfigMaps,
    certs,
    metrics,
    service,
    serviceMonitor,
    healthChecks,
    serviceAccount,
    rbac,
    scc,
    ...podSettings,
    test,
    falcosidekick,
  }),
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'FalcoAirgapValues',
  definitions: { image: imageDefinition },
};
