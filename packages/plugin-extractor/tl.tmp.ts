import { loadManifest } from '@falco-airgap/manifest';
import { rmSync } from 'node:fs';
import { createExtractorPorts, extract } from './src/index.ts';
const manifest = await loadManifest('/tmp/prof/six.yaml');
const cpus: number[] = [];
for (let i = 0; i < 9; i++) {
  rmSync('/tmp/prof/tl', { recursive: true, force: true });
  const c0 = process.cpuUsage();
  const ports = await createExtractorPorts({ plainHttp: ['127.0.0.1:5000'], cacheDir: '/tmp/prof/tl/cache' });
  await extract({ manifest, manifestSha256: 'a'.repeat(64), outDir: '/tmp/prof/tl/out' }, ports);
  await ports.close();
  const c = process.cpuUsage(c0);
  if (i > 0) cpus.push((c.user + c.system) / 1000);
}
cpus.sort((a, b) => a - b);
console.log(process.env.TAG, 'median cpu', cpus[4]!.toFixed(0), 'min', cpus[0]!.toFixed(0));
