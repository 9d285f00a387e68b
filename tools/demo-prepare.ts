// Prepares the quick start's local pipeline on the testbed: publishes the fixture plugins, rules and
// Falco image to the testbed registry, builds the stand-in AlmaLinux and Falco images the falco-airgap
// images start from, creates the demo bucket, and writes a falco-airgap.config.yaml with two
// environments, `local` (strategy sidecar) and `local-s3`, pointed at the testbed.
//   node tools/demo-prepare.ts DIR
// Prints the shell assignments demo.sh reads (BASE_IMAGE, FALCO_IMAGE, CONFIG).
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { createDockerEngine } from '@falco-airgap/container-engine';
import { publishFixturesTo } from '@falco-airgap/fixtures';
import { ensureImageBases } from '@falco-airgap/test-support';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const dir = resolve(process.argv[2] ?? '.testbed/demo');
const env = requireTestbed(
  'TESTBED_REGISTRY',
  'TESTBED_DOCKER_HOST',
  'TESTBED_KUBECONFIG',
  'TESTBED_S3_ENDPOINT',
  'TESTBED_S3_REGION',
  'TESTBED_S3_ACCESS_KEY',
  'TESTBED_S3_SECRET_KEY',
);
const registry = env.TESTBED_REGISTRY!;
const bucket = 'falco-airgap-demo';

await mkdir(dir, { recursive: true });
await publishFixturesTo({ registry, plainHttp: true });
const bases = await ensureImageBases(createDockerEngine({ host: env.TESTBED_DOCKER_HOST }));

const s3 = new S3Client({
  endpoint: env.TESTBED_S3_ENDPOINT!,
  region: env.TESTBED_S3_REGION!,
  forcePathStyle: true,
  credentials: { accessKeyId: env.TESTBED_S3_ACCESS_KEY!, secretAccessKey: env.TESTBED_S3_SECRET_KEY! },
});
try {
  await s3.send(new HeadBucketCommand({ Bucket: bucket })).catch(() => s3.send(new CreateBucketCommand({ Bucket: bucket })));
} finally {
  s3.destroy();
}

// The shipped manifest, pointed at the testbed registry instead of ghcr.io and docker.io.
const shipped = await readFile(resolve(import.meta.dirname, '../plugins/plugins-manifest.yaml'), 'utf8');
await writeFile(join(dir, 'plugins-manifest.yaml'), shipped.replaceAll('ghcr.io/', `${registry}/`).replaceAll('docker.io/', `${registry}/`));

const shared = (strategy: string, namespace: string) =>
  [
    `    registry: { host: ${registry}/falco-airgap-demo, plainHttp: true }`,
    `    cluster: { kubeconfig: ${env.TESTBED_KUBECONFIG} }`,
    `    strategy: ${strategy}`,
    `    namespace: ${namespace}`,
    // Cluster-wide objects are named after the release: a name of the demo's own leaves other releases alone.
    `    release: ${namespace}`,
    '    timeout: 3m',
  ].join('\n');
const config = join(dir, 'falco-airgap.config.yaml');
await writeFile(
  config,
  `# Written by tools/demo-prepare.ts: the testbed as the local environment.
apiVersion: falco-airgap/v1
kind: Config
environments:
  local:
    description: the testbed, plugins delivered by the plugin-loader init container
${shared('sidecar', 'falco-demo')}
  local-s3:
    description: the testbed, plugins published to MinIO and installed by falco-s3-loader
${shared('s3', 'falco-demo-s3')}
    store: { bucket: ${bucket}, prefix: falco-airgap, channel: local, endpoint: '${env.TESTBED_S3_ENDPOINT}', region: ${env.TESTBED_S3_REGION} }
`,
);
console.log(`BASE_IMAGE=${bases.base}`);
console.log(`FALCO_IMAGE=${bases.falco}`);
console.log(`CONFIG=${config}`);
