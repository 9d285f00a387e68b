import { packageConfig } from '../../tools/build/tsup-preset.ts';
export default packageConfig({ tsconfig: 'tsconfig.build.json' });
