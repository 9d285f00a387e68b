import { packageConfig } from '../../tools/build/tsup-preset.ts';
export default packageConfig({ entry: ['src/index.ts', 'src/bin.ts'] });
