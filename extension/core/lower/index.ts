// Lowering: RankPrograms from a binding, the unsharded reference, the JS interpreter, the cost model
// and the comparison of a sharded run against the reference.
export type * from './types';
export { lower, layoutName, LoweringError, type Layout, type LowerOptions, type Lowered, type ModuleOutput, type EntryRef } from './lower';
export { interpret, ProgramError, type OpEvent, type Routing, type InterpretOptions, type InterpretResult } from './interpret';
export { keySeed, unitValue, generateBoxes, fullBox } from './generator';
export { assemble, relError, compareModules, type ModuleComparison } from './compare';
export { predict, defaultCostModel, slowestLink, opFlops, type CostModel, type PredictedOp, type LinkTopology } from './cost';
export { scaledConfig, layerElements, type WidthScale } from './scale';
export { fitWidths, estimateMemory, scaleWidths, copiesFromLocalShapes, expertSlicesFromLocalShapes, formatBytes, DEFAULT_BUDGET_BYTES, DEFAULT_RUNTIME_BYTES, SHARDABLE_WIDTHS, HEAD_WIDTHS, type FitOptions, type MemoryEstimate, type WidthFit } from './fit-widths';
export { ropeSpec, mlaSoftmaxScale, yarnMscale, RopeConfigError, type RopeSpec } from './rope';
export { emitMlaCore, type MlaDims, type MlaBuffers } from './mla';
export { fitNcclTestsLog, CalibrationError, type NcclTestsFit } from './calibrate';
export { sweepPrograms, fitSweep, fitCompute, applyCalibration, readCalibration, SWEEP_OPS, SWEEP_SIZES, type Sweep, type SweepPoint, type ComputePoint, type SweepEvent, type Calibration, type CalibrationFit, type ComputeFit } from './sweep';
