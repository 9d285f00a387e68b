import { ValuesErrorCode } from '../errors.ts';
import { oneOfValues, ref, string, type SchemaNode } from './nodes.ts';

const BAD_IMAGE_REFERENCE = ValuesErrorCode.BadImageReference;

// Patterns follow the distribution reference grammar, written without lookarounds so Go's RE2 (helm) and JS (ajv) agree.
const hostComponent = '[a-z0-9]([a-z0-9-]*[a-z0-9])?';
const pathComponent = '[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*';
export const REGISTRY_PATTERN = `^${hostComponent}(\\.${hostComponent})*(:[0-9]{1,5})?(/${pathComponent})*$`;
export const REPOSITORY_PATTERN = `^${pathComponent}(/${pathComponent})*$`;
export const TAG_PATTERN = '^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$';
export const DIGEST_PATTERN = '^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})?$';

export const DEFAULT_REGISTRY = 'localhost:5000';

export const imageDefinition: SchemaNode = {
  type: 'object',
  title: 'ImageSettings',
  description: 'Where one image of the chart comes from. global.imageRegistry, when set, replaces registry.',
  additionalProperties: false,
  required: ['registry', 'repository', 'tag', 'digest', 'pullPolicy'],
  properties: {
    registry: string('Private registry host[:port][/path] the image is pulled from.', DEFAULT_REGISTRY, {
      pattern: REGISTRY_PATTERN,
      code: BAD_IMAGE_REFERENCE,
      hint: 'name your private registry as host[:port][/path] in lower case, without a scheme, or set global.imageRegistry; an image without a registry would be pulled from Docker Hub',
      example: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/falco-airgap',
    }),
    repository: string('Repository inside the registry, without registry, tag or digest.', 'falco', {
      pattern: REPOSITORY_PATTERN,
      code: BAD_IMAGE_REFERENCE,
      minLength: 1,
      hint: 'write the repository alone in lower case (put the tag in tag and the digest in digest)',
      example: 'falco-s3-loader',
    }),
    tag: string('Tag; empty means falcoVersion (the pipeline tags every image with the Falco version).', '', {
      pattern: TAG_PATTERN,
      code: BAD_IMAGE_REFERENCE,
      hint: 'a tag is up to 128 letters, digits, "_", "." or "-" and cannot start with "." or "-"; put a digest in digest',
      example: '0.44.1',
    }),
    digest: string('Content digest; when set it is used instead of the tag.', '', {
      pattern: DIGEST_PATTERN,
      code: BAD_IMAGE_REFERENCE,
      hint: 'write the digest as sha256: followed by 64 lower-case hex digits',
      example: 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    }),
    pullPolicy: oneOfValues('Kubernetes imagePullPolicy.', ['IfNotPresent', 'Always', 'Never'] as const, 'IfNotPresent'),
  },
};

export function image(description: string, repository: string): SchemaNode {
  return ref('image', description, { registry: DEFAULT_REGISTRY, repository, tag: '', digest: '', pullPolicy: 'IfNotPresent' });
}
