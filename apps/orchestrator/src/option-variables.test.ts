import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { definedProgram } from './cli-docs.ts';
import { applyOptionVariables, optionVariable, withVariable } from './option-variables.ts';
import { repeatable } from './options/repeatable.ts';
import { runInMemory } from './testing/run-in-memory.ts';

/** A program shaped like the CLI's: a global switch, and a command with a list, a choice, a negated switch and a mandatory option. */
function parse(argv: string[], variables: Record<string, string>) {
  const program = new Command('falco-airgap').exitOverride().option('--json', 'json', false);
  let seen: Record<string, unknown> = {};
  program
    .command('extract')
    .option('--plain-http <host>', 'hosts', repeatable, [] as string[])
    .addOption(new Option('--via <how>', 'how').choices(['direct', 'docker']).default('direct'))
    .option('--no-build', 'skip')
    .addOption(withVariable(new Option('--bucket <name>', 'bucket').makeOptionMandatory(), 'FALCO_AIRGAP_S3_BUCKET'))
    .action((options: Record<string, unknown>) => {
      seen = { ...options, json: program.opts().json };
    });
  applyOptionVariables(program, variables);
  program.parse(argv, { from: 'user' });
  return seen;
}

describe('option variables', () => {
  it('derive their names from the long flag, unless the option has its own', () => {
    const names = (command: Command): string[] => [...command.options.map((o) => optionVariable(o) ?? ''), ...command.commands.flatMap(names)];
    const all = names(definedProgram());
    expect(all).toEqual(
      expect.arrayContaining(['FALCO_AIRGAP_CA_FILE', 'FALCO_AIRGAP_PLAIN_HTTP', 'FALCO_AIRGAP_LOCK_TIMEOUT', 'FALCO_AIRGAP_NO_COLOR', 'FALCO_AIRGAP_OUTPUT']),
    );
    expect(all).toEqual(expect.arrayContaining(['FALCO_AIRGAP_S3_BUCKET', 'FALCO_AIRGAP_S3_PREFIX', 'FALCO_AIRGAP_S3_ENDPOINT']));
    expect(all).not.toContain('FALCO_AIRGAP_BUCKET');
    expect(all.filter((name) => name && !/^FALCO_AIRGAP_[A-Z0-9_]+$/.test(name))).toEqual([]);
  });

  it('fill options the command line leaves out: lists comma-separated, switches true or false, negated switches inverted', () => {
    expect(
      parse(['extract'], {
        FALCO_AIRGAP_PLAIN_HTTP: 'a:5000, b:5000',
        FALCO_AIRGAP_VIA: 'docker',
        FALCO_AIRGAP_NO_BUILD: 'true',
        FALCO_AIRGAP_S3_BUCKET: 'corp',
        FALCO_AIRGAP_JSON: 'yes',
      }),
    ).toEqual({ plainHttp: ['a:5000', 'b:5000'], via: 'docker', build: false, bucket: 'corp', json: true });
    expect(parse(['extract'], { FALCO_AIRGAP_S3_BUCKET: 'corp', FALCO_AIRGAP_NO_BUILD: '0', FALCO_AIRGAP_JSON: 'false' })).toMatchObject({
      build: true,
      json: false,
    });
  });

  it('lose to flags: a flag replaces the whole list of a variable', () => {
    expect(
      parse(['extract', '--plain-http', 'c:5000', '--plain-http', 'd:5000', '--via', 'direct', '--bucket', 'flag'], {
        FALCO_AIRGAP_PLAIN_HTTP: 'a:5000,b:5000',
        FALCO_AIRGAP_VIA: 'docker',
        FALCO_AIRGAP_S3_BUCKET: 'corp',
      }),
    ).toMatchObject({ plainHttp: ['c:5000', 'd:5000'], via: 'direct', bucket: 'flag' });
  });

  it('are checked like flags: a bad value exits 2 naming the variable', async () => {
    const bad = await runInMemory(['extract'], { env: { FALCO_AIRGAP_VIA: 'podman' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error[CLI_USAGE]: FALCO_AIRGAP_VIA=podman is not allowed — set FALCO_AIRGAP_VIA to one of direct, docker');
    const notSwitch = await runInMemory(['extract'], { env: { FALCO_AIRGAP_LOCKED: 'maybe' } });
    expect(notSwitch.code).toBe(2);
    expect(notSwitch.stderr).toContain('error[CLI_USAGE]: FALCO_AIRGAP_LOCKED=maybe is neither true nor false');
    // Only the command that has the option reads it.
    expect((await runInMemory(['manifest', 'validate'], { cwd: resolve(import.meta.dirname, '../../..'), env: { FALCO_AIRGAP_VIA: 'podman' } })).code).toBe(0);
  });

  it('reach the commands of the real CLI, global flags included', async () => {
    const result = await runInMemory(['releases', 'policy'], {
      env: { FALCO_AIRGAP_S3_BUCKET: 'corp-falco', FALCO_AIRGAP_PARTITION: 'aws-cn', FALCO_AIRGAP_NO_CONDITION_KEYS: 'true', FALCO_AIRGAP_OUTPUT: 'json' },
    });
    expect(result.code).toBe(0);
    const last = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { type: string; data: unknown };
    expect(last.type).toBe('result');
    expect(JSON.stringify(last.data)).toContain('arn:aws-cn:s3:::corp-falco');
    expect(JSON.stringify(last.data)).not.toContain('s3:if-none-match');
  });
});
