import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Static AWS keys, as the SDK's environment provider would read them. */
export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** Forward proxies for registry requests, as the registry client takes them. */
export interface ProxyEnvironment {
  httpsProxy: string | undefined;
  httpProxy: string | undefined;
  noProxy: string | undefined;
}

/** Everything the CLI takes from environment variables, read once by the composition root. */
export interface ResolvedEnvironment {
  /** DOCKER_CONFIG, else ~/.docker: where registry credentials (docker login) are read from. */
  dockerConfigDir: string;
  /** DOCKER_HOST for `--via docker`; the engine's usual socket when unset. */
  dockerHost: string | undefined;
  /** https_proxy/HTTPS_PROXY, http_proxy/HTTP_PROXY, no_proxy/NO_PROXY (lower case first, as curl reads them): registry requests go through these. */
  proxy: ProxyEnvironment;
  /** $XDG_CACHE_HOME/falco-airgap/oci, else ~/.cache/falco-airgap/oci: the blob cache unless --cache-dir says otherwise. */
  cacheDir: string;
  /** $XDG_CACHE_HOME/falco-airgap/locks, else ~/.cache/falco-airgap/locks: the advisory locks of store prefixes (publish). */
  lockDir: string;
  /** Every non-empty FALCO_AIRGAP_* variable: the values of options not given on the command line (see option-variables.ts). */
  optionVariables: Readonly<Record<string, string>>;
  /** AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1. */
  awsRegion: string;
  /** AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); without them the SDK's default chain applies (profiles/SSO, IRSA, instance role). */
  awsKeys: AwsKeys | undefined;
  /** Any variable by name, as set (empty included): what a `${NAME}` reference of the configuration file reads when its secret is used. */
  variable: (name: string) => string | undefined;
  /** AWS_ENDPOINT_URL_ECR / _EKS / _STS, then AWS_ENDPOINT_URL, as the AWS SDKs name them: a private or test endpoint per service. */
  awsEndpoints: Readonly<Partial<Record<AwsService, string>>>;
  /** KUBECONFIG (several files joined by ':'), else ~/.kube/config: the default of --kubeconfig. */
  kubeconfig: string[];
  /** FALCO_AIRGAP_HELM, else `helm` looked up in PATH. */
  helmBinary: string;
  /** What helm runs with: PATH, HOME, HELM_* homes, the proxies and the AWS identity; nothing else of ours reaches it. */
  helmEnv: Record<string, string | undefined>;
  /** TMPDIR or the system's: where short-lived private files (values for helm, an EKS kubeconfig) go. */
  tmpDir: string;
  /** SOURCE_DATE_EPOCH: the time recorded in what is built (a bundle's creation time), for the same bytes from the same inputs. */
  sourceDateEpoch: string | undefined;
  /** NO_COLOR is set. */
  noColor: boolean;
  /** Whether stderr may be redrawn in place: not under CI, not on a dumb terminal. */
  liveOutput: boolean;
}

export type AwsService = 'ECR' | 'EKS' | 'STS';
const AWS_SERVICES: readonly AwsService[] = ['ECR', 'EKS', 'STS'];

/** Every FALCO_AIRGAP_* variable is read: one per option (FALCO_AIRGAP_CA_FILE for --ca-file), and FALCO_AIRGAP_HELM. */
export const OPTION_VARIABLE_PREFIX = 'FALCO_AIRGAP_';

/** The other variables the CLI reads; the README lists the same. */
type EnvironmentVariable =
  | 'DOCKER_CONFIG'
  | 'DOCKER_HOST'
  | 'HTTPS_PROXY'
  | 'https_proxy'
  | 'HTTP_PROXY'
  | 'http_proxy'
  | 'NO_PROXY'
  | 'no_proxy'
  | 'XDG_CACHE_HOME'
  | 'HOME'
  | 'AWS_REGION'
  | 'AWS_PROFILE'
  | 'AWS_DEFAULT_REGION'
  | 'AWS_ACCESS_KEY_ID'
  | 'AWS_SECRET_ACCESS_KEY'
  | 'AWS_SESSION_TOKEN'
  | 'AWS_ENDPOINT_URL'
  | `AWS_ENDPOINT_URL_${AwsService}`
  | 'KUBECONFIG'
  | 'FALCO_AIRGAP_HELM'
  | 'TMPDIR'
  | 'PATH'
  | 'HELM_CACHE_HOME'
  | 'HELM_CONFIG_HOME'
  | 'HELM_DATA_HOME'
  | 'SOURCE_DATE_EPOCH'
  | 'NO_COLOR'
  | 'CI'
  | 'TERM';

/** The one place the CLI reads its environment; everything below gets these values. */
export function resolveEnvironment(env: NodeJS.ProcessEnv): ResolvedEnvironment {
  const value = (name: EnvironmentVariable) => env[name] || undefined;
  const home = value('HOME') ?? homedir();
  const accessKeyId = value('AWS_ACCESS_KEY_ID');
  const secretAccessKey = value('AWS_SECRET_ACCESS_KEY');
  // A copy: a reference reads the variables as they were when the run started.
  const variables: Readonly<Record<string, string | undefined>> = { ...env };
  return {
    dockerConfigDir: value('DOCKER_CONFIG') ?? join(home, '.docker'),
    dockerHost: value('DOCKER_HOST'),
    proxy: {
      httpsProxy: value('https_proxy') ?? value('HTTPS_PROXY'),
      httpProxy: value('http_proxy') ?? value('HTTP_PROXY'),
      noProxy: value('no_proxy') ?? value('NO_PROXY'),
    },
    cacheDir: join(value('XDG_CACHE_HOME') ?? join(home, '.cache'), 'falco-airgap', 'oci'),
    lockDir: join(value('XDG_CACHE_HOME') ?? join(home, '.cache'), 'falco-airgap', 'locks'),
    optionVariables: Object.fromEntries(
      Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith(OPTION_VARIABLE_PREFIX) && !!entry[1]),
    ),
    awsRegion: value('AWS_REGION') ?? value('AWS_DEFAULT_REGION') ?? 'us-east-1',
    awsKeys: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, sessionToken: value('AWS_SESSION_TOKEN') } : undefined,
    variable: (name) => (Object.hasOwn(variables, name) ? variables[name] : undefined),
    awsEndpoints: Object.fromEntries(
      AWS_SERVICES.map((service) => [service, value(`AWS_ENDPOINT_URL_${service}`) ?? value('AWS_ENDPOINT_URL')]).filter((entry) => entry[1]),
    ),
    kubeconfig: value('KUBECONFIG')?.split(delimiter).filter(Boolean) ?? [join(home, '.kube', 'config')],
    helmBinary: value('FALCO_AIRGAP_HELM') ?? 'helm',
    helmEnv: {
      PATH: value('PATH'),
      HOME: home,
      HELM_CACHE_HOME: value('HELM_CACHE_HOME'),
      HELM_CONFIG_HOME: value('HELM_CONFIG_HOME'),
      HELM_DATA_HOME: value('HELM_DATA_HOME'),
      HTTPS_PROXY: value('https_proxy') ?? value('HTTPS_PROXY'),
      HTTP_PROXY: value('http_proxy') ?? value('HTTP_PROXY'),
      NO_PROXY: value('no_proxy') ?? value('NO_PROXY'),
      // A kubeconfig context may run an exec plugin (aws eks get-token) inside helm: it needs the same AWS identity.
      AWS_PROFILE: value('AWS_PROFILE'),
      AWS_REGION: value('AWS_REGION') ?? value('AWS_DEFAULT_REGION'),
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_SESSION_TOKEN: value('AWS_SESSION_TOKEN'),
    },
    tmpDir: value('TMPDIR') ?? tmpdir(),
    sourceDateEpoch: value('SOURCE_DATE_EPOCH'),
    noColor: Boolean(value('NO_COLOR')),
    liveOutput: value('TERM') !== 'dumb' && !value('CI'),
  };
}
