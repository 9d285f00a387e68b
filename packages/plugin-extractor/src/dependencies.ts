import { compareSemver, isSemver, parseSemver } from '@falco-airgap/core';
import type { LockedDependency } from '@falco-airgap/manifest';
import { ExtractError, ExtractErrorCode, type ExtractErrorCode as Code } from './errors.ts';
import type { ArtifactDependency, NamedVersion } from './falco-config.ts';
import { checkRequirement } from './requirements.ts';

/** An artifact of the run and what its config declares; configs are small, so this is known before any layer is fetched. */
export interface ArtifactDeclarations {
  kind: 'plugin' | 'rulesfile';
  name: string;
  version: string;
  dependencies: readonly ArtifactDependency[];
  requirements: readonly NamedVersion[];
}

/** Something extract could not establish about a requirement, reported as a warning. */
export interface RequirementWarning {
  artifact: { kind: 'plugin' | 'rulesfile'; name: string };
  code: typeof DependencyWarningCode.RequirementUnchecked;
  message: string;
  hint: string;
}

export const DependencyWarningCode = { RequirementUnchecked: 'EXTRACT_REQUIREMENT_UNCHECKED' } as const;

export interface ResolvedDeclarations {
  /** Per `<kind>/<name>`, the dependencies it declared and the plugin satisfying each, sorted by name. */
  dependencies: Map<string, LockedDependency[]>;
  warnings: RequirementWarning[];
  /** Dependencies and requirements the manifest does not satisfy; the run must stop before downloading layers. */
  problems: DeclarationProblem[];
}

/** One declaration the manifest does not satisfy: whose it is and what to do. */
export interface DeclarationProblem {
  artifact: { kind: 'plugin' | 'rulesfile'; name: string };
  code: Code;
  message: string;
  hint: string;
}

export const declarationKey = (kind: 'plugin' | 'rulesfile', name: string) => `${kind}/${name}`;

/**
 * Checks every artifact's dependencies against the manifest's plugins and its requirements against
 * the manifest's Falco version, as falcoctl and Falco's rule loader do: a dependency needs the plugin
 * it names or one of the alternatives it lists, and every one of them the manifest has must be
 * compatible (same major, no earlier than the version named). Pure: problems are returned, and
 * `declarationError` turns them into the one error that names them all.
 */
export function resolveDeclarations(artifacts: readonly ArtifactDeclarations[], plugins: readonly NamedVersion[], falcoVersion: string): ResolvedDeclarations {
  const available = new Map(plugins.map((p) => [p.name, p.version]));
  const problems: DeclarationProblem[] = [];
  const warnings: RequirementWarning[] = [];
  const dependencies = new Map<string, LockedDependency[]>();
  for (const artifact of artifacts) {
    const label = `${artifact.kind} ${artifact.name} ${artifact.version}`;
    const owner = { kind: artifact.kind, name: artifact.name };
    const resolved: LockedDependency[] = [];
    for (const dependency of artifact.dependencies) {
      const outcome = resolveDependency(dependency, available, label, owner);
      if ('problem' in outcome) problems.push(outcome.problem);
      else if (!resolved.some((d) => d.name === dependency.name)) resolved.push(outcome.resolved);
    }
    dependencies.set(
      declarationKey(artifact.kind, artifact.name),
      resolved.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    );
    for (const requirement of artifact.requirements) {
      const verdict = checkRequirement(requirement, falcoVersion);
      const stated = `${requirement.name} ${requirement.version}`;
      switch (verdict.verdict) {
        case 'met':
          break;
        case 'not-met':
          problems.push({
            artifact: owner,
            // A plugin Falco's loader would refuse is a fact of the file (exit 3), as when its ELF says so.
            code: requirement.name === 'plugin_api_version' ? ExtractErrorCode.PluginApiVersion : ExtractErrorCode.RequirementNotMet,
            message: `${label} requires ${stated}, but Falco ${falcoVersion} provides ${verdict.provided}`,
            hint: `raise falco.version in the manifest to a release that provides ${stated}, or pick an earlier ${artifact.name} version`,
          });
          break;
        case 'unknown-key':
          problems.push({
            artifact: owner,
            code: ExtractErrorCode.RequirementNotMet,
            message: `${label} requires ${stated}, which no Falco release provides`,
            hint: `pick another ${artifact.name} version; falcoctl refuses this one too`,
          });
          break;
        case 'malformed':
          problems.push({
            artifact: owner,
            code: ExtractErrorCode.RequirementNotMet,
            message: `${label} requires ${requirement.name} "${requirement.version}", which is not a version extract can compare`,
            hint: `pick another ${artifact.name} version, and report the artifact to its publisher`,
          });
          break;
        case 'unchecked':
          warnings.push({
            artifact: { kind: artifact.kind, name: artifact.name },
            code: DependencyWarningCode.RequirementUnchecked,
            message: `${label} requires ${stated}; what Falco ${falcoVersion} provides is not known here, so it was not checked`,
            hint: `check that Falco ${falcoVersion} provides ${stated} (falco --version) before deploying`,
          });
          break;
      }
    }
  }
  return { dependencies, warnings, problems };
}

/** One error for every unsatisfied declaration, with the first one's code: the user fixes the manifest in one go. */
export function declarationError(problems: readonly DeclarationProblem[]): ExtractError {
  const message = problems.map((p) => p.message).join('; ');
  const hints = [...new Set(problems.map((p) => p.hint))].join('; ');
  return new ExtractError(problems[0]!.code, message, hints);
}

function resolveDependency(
  dependency: ArtifactDependency,
  available: ReadonlyMap<string, string>,
  label: string,
  owner: DeclarationProblem['artifact'],
): { resolved: LockedDependency } | { problem: DeclarationProblem } {
  const candidates = [dependency, ...dependency.alternatives];
  for (const candidate of candidates) {
    if (!isSemver(candidate.version)) {
      throw new ExtractError(
        ExtractErrorCode.BadArtifactConfig,
        `the config of ${label} depends on ${candidate.name} "${candidate.version}", which is not a semantic version`,
        'the artifact config is not what falcoctl publishes; check the reference',
      );
    }
  }
  const present = candidates.filter((c) => available.has(c.name));
  const accepted = describeCandidates(candidates);
  if (!present.length) {
    return {
      problem: {
        artifact: owner,
        code: ExtractErrorCode.DependencyMissing,
        message: `${label} depends on plugin ${accepted}, which the manifest does not have`,
        hint: `add ${candidates.length > 1 ? 'one of them' : `plugin ${dependency.name}`} to plugins in the manifest, e.g. name ${dependency.name}, version ${dependency.version} or a later ${majorLine(dependency.version)} release`,
      },
    };
  }
  // Falco's rule loader checks every listed plugin that is loaded, so each one present must fit.
  const unfit = present.filter((c) => !compatible(available.get(c.name)!, c.version));
  if (unfit.length) {
    const c = unfit[0]!;
    return {
      problem: {
        artifact: owner,
        code: ExtractErrorCode.DependencyIncompatible,
        message: `${label} depends on plugin ${accepted}, but the manifest has ${c.name} ${available.get(c.name)!}`,
        hint: `set the version of plugin ${c.name} in the manifest to ${c.version} or a later ${majorLine(c.version)} release`,
      },
    };
  }
  return { resolved: { name: dependency.name, version: dependency.version, satisfiedBy: present[0]!.name } };
}

/** Same major, and no earlier than required: what falcoctl and Falco call compatible. */
function compatible(version: string, required: string): boolean {
  if (!isSemver(version)) return false;
  return parseSemver(version)!.major === parseSemver(required)!.major && compareSemver(version, required) >= 0;
}

function majorLine(version: string): string {
  return `${parseSemver(version)!.major}.x`;
}

function describeCandidates(candidates: readonly NamedVersion[]): string {
  const [first, ...rest] = candidates.map((c) => `${c.name} ${c.version} (or a later ${majorLine(c.version)})`);
  return rest.length ? `${first}, or ${rest.join(', or ')}` : first!;
}
