// transformers 4.5x style strings (integrations/tensor_parallel.py, ALL_PARALLEL_STYLES).
import { entry } from './entry';

export const G1_SOURCE = 'transformers src/transformers/integrations/tensor_parallel.py @ 4803ea66135a0ebc6281f2af3409166abb596093 (≈ v4.55–4.57)';
const DSV3_V50 = '; also used by models/deepseek_v3/configuration_deepseek_v3.py @ 001f85b38fb432858ace93f18622f07cec46d874 (v5.0 era)';

export const g1Entries = [
  entry('colwise', ['g1'], G1_SOURCE, 'colwise'),
  entry('rowwise', ['g1'], G1_SOURCE, 'rowwise'),
  entry('colwise_rep', ['g1'], G1_SOURCE, 'colwise_gather_output', ['tp'], { aliasOf: 'colwise_gather_output' }),
  entry('rowwise_rep', ['g1'], G1_SOURCE, 'rowwise_split_input', ['tp'], { aliasOf: 'rowwise_split_input' }),
  entry('local_colwise', ['g1'], G1_SOURCE, 'local_colwise'),
  entry('local_rowwise', ['g1', 'g2'], G1_SOURCE + DSV3_V50, 'local_rowwise'),
  entry('local', ['g1'], G1_SOURCE, 'local'),
  entry('gather', ['g1', 'g2'], G1_SOURCE + DSV3_V50, 'gather'),
  entry('local_packed_rowwise', ['g1'], G1_SOURCE, 'local_packed_rowwise'),
  entry('sequence_parallel', ['g1'], G1_SOURCE, 'sequence_parallel_g1'),
  entry('replicate', ['g1'], G1_SOURCE, 'replicate'),
  entry('grouped_gemm', ['g1'], G1_SOURCE, 'grouped_gemm', ['ep']),
  entry('ep_router', ['g1'], G1_SOURCE, 'ep_router', ['ep']),
];
