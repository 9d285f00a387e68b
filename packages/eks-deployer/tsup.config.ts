import { packageConfig } from '../../tools/build/tsup-preset.ts';
// deploy-plan alone: values and plans without the Kubernetes and AWS clients (bundle load writes its overlay with it).
export default packageConfig({ tsconfig: 'tsconfig.build.json', entry: ['src/index.ts', 'src/deploy-plan.ts'] });
