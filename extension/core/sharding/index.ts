// The sharding algebra: device meshes, DTensor placements, per-rank layouts, redistribution and costs.
export type * from './types';
export * from './mesh';
export * from './placement';
export * from './layout';
export * from './redistribute';
export * from './costs';
