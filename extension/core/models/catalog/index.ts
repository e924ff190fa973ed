// The model catalog: per transformers version, every architecture with a TP or EP plan, as recorded from
// the real library. Files are read on first use through the reader the host installs (the engine reads
// no files itself), so activation pays nothing for them.
import type { CatalogArchitecture, CatalogFile } from './types';
import { RECORDED_VERSIONS } from './versions';

export type * from './types';
export { graphFromCatalog, CatalogGraphError, StructureNotRecorded } from './graph';
export { resolveConfig } from './resolve-config';
export { evalExpr, exprFields, ExprError } from './expr';
export { RECORDED_VERSIONS, pickVersion, compareVersions, type VersionChoice } from './versions';

/** Returns the text of a catalog file by its name ("transformers-5.18.0.json"), or undefined when absent. */
export type CatalogReader = (fileName: string) => string | undefined;

let reader: CatalogReader | undefined;
const files = new Map<string, CatalogFile | null>();

/** Installed once by the host (CLI, extension, runtime, tests). */
export function setCatalogReader(r: CatalogReader | undefined): void {
  reader = r;
  files.clear();
}

export function catalogFileName(version: string): string {
  return `transformers-${version}.json`;
}

/** The catalog of one recorded version; undefined when no reader is installed or the file is missing. */
export function catalogOf(version: string): CatalogFile | undefined {
  if (files.has(version)) return files.get(version) ?? undefined;
  const text = reader?.(catalogFileName(version));
  let file: CatalogFile | null = null;
  if (text !== undefined) {
    const parsed = JSON.parse(text) as CatalogFile;
    if (parsed?.schema !== 1 || typeof parsed.architectures !== 'object') throw new Error(`catalog ${catalogFileName(version)}: unexpected schema ${JSON.stringify(parsed?.schema)}`);
    file = parsed;
  }
  files.set(version, file);
  return file ?? undefined;
}

/** One architecture of one recorded version. */
export function catalogArchitecture(modelType: string, version: string): CatalogArchitecture | undefined {
  const archs = catalogOf(version)?.architectures;
  // Own keys only: a model_type such as "constructor" must not find Object's.
  return archs && Object.hasOwn(archs, modelType) ? archs[modelType] : undefined;
}

/** Every model_type the version records, for completion and messages. */
export function catalogModelTypes(version: string): string[] {
  return Object.keys(catalogOf(version)?.architectures ?? {}).sort();
}

/** Why a model_type is absent from a recorded version, when the generator said so. */
export function catalogSkipReason(modelType: string, version: string): string | undefined {
  const f = catalogOf(version);
  if (!f?.skipped) return undefined;
  return Object.entries(f.skipped).find(([k]) => k === modelType || k.toLowerCase().startsWith(modelType.replace(/_/g, '')))?.[1];
}
