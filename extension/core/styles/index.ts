// The parallel style catalog: transformers' style strings of every generation, TPStyle kinds and comms,
// and PyTorch's ParallelStyle classes, each with placements, layouts, collectives and a doc.
export type * from './types';
export {
  listStyles,
  lookupStyle,
  styleGenerations,
  nearestStyle,
  resolveStyleRef,
  detectGeneration,
  generationLabel,
  editDistance,
  TPSTYLE_VALID,
  TPSTYLE_KINDS,
  TPSTYLE_COMMS,
  tpStyleString,
} from './catalog';
export { TORCH_CLASSES, resolveTorchCall } from './torch';
export { describeStyle, styleMarkdown, docsLink, placementRepr, type StyleDescription } from './describe';
export { placeParam, type ParamRule } from './params';
export { forwardTransition, backwardTransition } from './effects';
