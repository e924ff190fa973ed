// Binding and analysis: a plan bound to a model on a mesh.
export type * from './types';
export { bindPlan, BindError, type BindOptions, type PlanInput, type RunShape } from './bind';
export { buildPlanTable, lookupParam, lookupModule, wildcardName, rootKeyOf, entryFromRef } from './match';
export { formatBytes } from './checks';
export { bytesOf } from './dtype';
export { planInputsFromDocument, autoPlanInputs, type ResolveOptions } from './from-document';
export { groupedShapes, formatTotals, collectivesReport, shapesReport, memoryPerRankText } from './report';
