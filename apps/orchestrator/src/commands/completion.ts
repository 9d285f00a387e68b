import type { Command } from 'commander';
import { completionScript, type Shell } from '../completion-scripts.ts';
import type { CommandOutcome } from '../context.ts';

/** `falco-airgap completion bash|zsh|fish`: the script on stdout (commander has checked the shell). */
export async function completionCommand(shell: string, program: Command): Promise<CommandOutcome> {
  const script = completionScript(shell as Shell, program);
  return { data: { shell, script }, output: script };
}
