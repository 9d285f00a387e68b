// The least a Node.js process can spend on (c) and (d) here: the same requests with nothing else
// around them (no CLI, no manifest or lock parsing, no validation, no staging, no cache, no events).
//   node bench/extract/floor.mjs cold   OUT-DIR REGISTRY/REPOSITORY:TAG ...   tag, platform manifest, config, layers; layers inflated, hashed, written
//   node bench/extract/floor.mjs locked DIR     REGISTRY/REPOSITORY:TAG ...   one HEAD per tag while every file under DIR is hashed
// Plain HTTP, linux/amd64. JavaScript, not TypeScript: stripping types would add its own start-up to the floor.
// Builtins come through process.getBuiltinModule: an ESM import of node:http loads undici.
const http = process.getBuiltinModule('node:http');
const zlib = process.getBuiltinModule('node:zlib');
const { createHash } = process.getBuiltinModule('node:crypto');
const { mkdir, readFile, readdir, writeFile } = process.getBuiltinModule('node:fs/promises');

const [mode, dir, ...references] = process.argv.slice(2);
if ((mode !== 'cold' && mode !== 'locked') || !dir || references.length === 0) throw new Error('usage: floor.mjs cold|locked DIR REFERENCE...');

const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json';
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** @returns {Promise<Buffer>} the body of a 200 answer */
function request(method, url) {
  return new Promise((resolve, reject) => {
    http
      .request(url, { method, agent, headers: { accept: ACCEPT }, timeout: 30_000 }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () =>
          response.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${method} ${url}: ${response.statusCode}`)),
        );
      })
      .on('timeout', function () {
        this.destroy(new Error(`${method} ${url}: timed out`));
      })
      .on('error', reject)
      .end();
  });
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const gunzip = (bytes) => new Promise((resolve, reject) => zlib.gunzip(bytes, (error, out) => (error ? reject(error) : resolve(out))));

function parts(reference) {
  const match = /^([^/]+)\/(.+):([^:/]+)$/.exec(reference);
  if (!match) throw new Error(`${reference} is not REGISTRY/REPOSITORY:TAG`);
  return { base: `http://${match[1]}/v2/${match[2]}`, tag: match[3] };
}

if (mode === 'cold') {
  await mkdir(dir, { recursive: true });
  await Promise.all(
    references.map(async (reference, i) => {
      const { base, tag } = parts(reference);
      let document = JSON.parse((await request('GET', `${base}/manifests/${tag}`)).toString());
      const amd64 = document.manifests?.find((m) => m.platform?.architecture === 'amd64');
      if (amd64) document = JSON.parse((await request('GET', `${base}/manifests/${amd64.digest}`)).toString());
      sha256(await request('GET', `${base}/blobs/${document.config.digest}`));
      for (const [j, layer] of document.layers.entries()) {
        const blob = await request('GET', `${base}/blobs/${layer.digest}`);
        sha256(blob);
        const tar = blob[0] === 0x1f && blob[1] === 0x8b ? await gunzip(blob) : blob;
        sha256(tar);
        await writeFile(`${dir}/${i}-${j}.tar`, tar);
      }
    }),
  );
} else {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
  await Promise.all([
    ...references.map((reference) => {
      const { base, tag } = parts(reference);
      return request('HEAD', `${base}/manifests/${tag}`);
    }),
    ...files.map(async (file) => sha256(await readFile(`${file.parentPath}/${file.name}`))),
  ]);
}
agent.destroy();
