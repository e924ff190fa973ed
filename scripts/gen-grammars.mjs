// Writes syntaxes/*.tmLanguage.json from the style catalog, so the highlighted style names never drift
// from what the engine accepts. Run after changing the catalog: node scripts/gen-grammars.mjs
import { build } from 'esbuild';
import { writeFileSync, mkdirSync } from 'node:fs';

const out = await build({ stdin: { contents: "export { listStyles } from './extension/core/styles';", resolveDir: '.', loader: 'ts' }, bundle: true, platform: 'node', format: 'cjs', write: false, mainFields: ['module', 'main'] });
const mod = { exports: {} };
new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, (await import('node:module')).createRequire(import.meta.url));
const entries = mod.exports.listStyles();
const names = [...new Set(entries.map((e) => e.name))].sort((a, b) => b.length - a.length);
const styleAlt = names.join('|');
const PATTERN = '(?:[A-Za-z_][\\w]*|\\*)(?:\\.(?:[A-Za-z_][\\w]*|\\*))+';

const shardplan = {
  $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
  name: 'Shardscope plan',
  scopeName: 'source.shardplan',
  fileTypes: ['shardplan.json'],
  patterns: [{ include: '#value' }],
  repository: {
    comments: {
      patterns: [
        { name: 'comment.line.double-slash.shardplan', match: '//.*$' },
        { name: 'comment.block.shardplan', begin: '/\\*', end: '\\*/' },
      ],
    },
    value: {
      patterns: [{ include: '#comments' }, { include: '#object' }, { include: '#array' }, { include: '#style' }, { include: '#string' }, { include: '#number' }, { include: '#constant' }],
    },
    object: {
      begin: '\\{', end: '\\}',
      beginCaptures: { 0: { name: 'punctuation.definition.dictionary.begin.shardplan' } },
      endCaptures: { 0: { name: 'punctuation.definition.dictionary.end.shardplan' } },
      patterns: [{ include: '#comments' }, { include: '#key' }, { include: '#value' }, { match: ',', name: 'punctuation.separator.dictionary.pair.shardplan' }],
    },
    array: { begin: '\\[', end: '\\]', patterns: [{ include: '#value' }, { match: ',', name: 'punctuation.separator.array.shardplan' }] },
    key: {
      patterns: [
        { match: '(")(model|mesh|expert_parallel|plan|ep_plan|sequence_parallel|run)(")\\s*(:)', captures: { 1: { name: 'punctuation.definition.string.begin.shardplan' }, 2: { name: 'keyword.other.field.shardplan' }, 3: { name: 'punctuation.definition.string.end.shardplan' }, 4: { name: 'punctuation.separator.dictionary.key-value.shardplan' } } },
        { match: `(")(${PATTERN}|lm_head|embed_tokens|norm)(")\\s*(:)`, captures: { 1: { name: 'punctuation.definition.string.begin.shardplan' }, 2: { name: 'entity.name.tag.pattern.shardplan', patterns: [{ match: '\\*', name: 'keyword.operator.wildcard.shardplan' }] }, 3: { name: 'punctuation.definition.string.end.shardplan' }, 4: { name: 'punctuation.separator.dictionary.key-value.shardplan' } } },
        { match: '(")([^"]*)(")\\s*(:)', captures: { 1: { name: 'punctuation.definition.string.begin.shardplan' }, 2: { name: 'support.type.property-name.shardplan' }, 3: { name: 'punctuation.definition.string.end.shardplan' }, 4: { name: 'punctuation.separator.dictionary.key-value.shardplan' } } },
      ],
    },
    // A style name is a string to every theme (string.quoted: coloured as strings by Light, Dark and High
    // Contrast alike); meta.style names it for tests and for themes that want to tell it apart.
    style: { match: `(")(${styleAlt})(")`, name: 'string.quoted.double.shardplan', captures: { 1: { name: 'punctuation.definition.string.begin.shardplan' }, 2: { name: 'meta.style.shardplan' }, 3: { name: 'punctuation.definition.string.end.shardplan' } } },
    string: { name: 'string.quoted.double.shardplan', begin: '"', end: '"', patterns: [{ match: '\\\\.', name: 'constant.character.escape.shardplan' }] },
    number: { match: '-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?', name: 'constant.numeric.shardplan' },
    constant: { match: '\\b(?:true|false|null)\\b', name: 'constant.language.shardplan' },
  },
};

const injection = {
  $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
  name: 'Shardscope plans in Python',
  scopeName: 'shardscope.python-plan.injection',
  injectionSelector: 'L:source.python -comment',
  patterns: [{ include: '#plan-dict' }],
  repository: {
    'plan-dict': {
      begin: '\\b(\\w*_(?:tp|ep|sp)_plan|parallelize_plan)\\s*(=)\\s*(\\{)',
      beginCaptures: { 1: { name: 'variable.other.plan.shardscope' }, 2: { name: 'keyword.operator.assignment.python' }, 3: { name: 'punctuation.definition.dict.begin.python' } },
      end: '\\}',
      endCaptures: { 0: { name: 'punctuation.definition.dict.end.python' } },
      patterns: [{ include: '#braces' }, { include: '#pattern-key' }, { include: '#style' }, { include: 'source.python' }],
    },
    braces: { begin: '\\{', end: '\\}', patterns: [{ include: '#braces' }, { include: 'source.python' }] },
    'pattern-key': {
      match: `(["'])(${PATTERN}|lm_head|embed_tokens|norm)(\\1)(?=\\s*:)`,
      captures: { 1: { name: 'punctuation.definition.string.begin.python' }, 2: { name: 'entity.name.tag.pattern.shardscope', patterns: [{ match: '\\*', name: 'keyword.operator.wildcard.shardscope' }] }, 3: { name: 'punctuation.definition.string.end.python' } },
    },
    // As a string (the scope MagicPython gives one-line strings of either quote), so themes colour it as one.
    style: {
      match: `(["'])(${styleAlt})(\\1)`,
      name: 'string.quoted.single.python',
      captures: { 1: { name: 'punctuation.definition.string.begin.python' }, 2: { name: 'meta.style.shardscope' }, 3: { name: 'punctuation.definition.string.end.python' } },
    },
  },
};

mkdirSync('syntaxes', { recursive: true });
writeFileSync('syntaxes/shardplan.tmLanguage.json', JSON.stringify(shardplan, null, 2) + '\n');
writeFileSync('syntaxes/python-plan.injection.tmLanguage.json', JSON.stringify(injection, null, 2) + '\n');
// The JSON schema of *.shardplan.json: style names per generation, with their docs.
const styleSchema = {
  anyOf: ['g1', 'g2', 'g3', 'g4'].map((g) => ({
    title: { g1: 'transformers 4.5x', g2: 'transformers 5.x', g3: 'TPStyle-era strings', g4: 'transformers 5.x main' }[g],
    enum: [...new Set(entries.filter((e) => e.generations.includes(g)).map((e) => e.name))],
  })).map((alt, i) => ({
    ...alt,
    // VS Code shows these beside each completion of the enum.
    markdownEnumDescriptions: alt.enum.map((n) => entries.find((e) => e.name === n && e.generations.includes(['g1', 'g2', 'g3', 'g4'][i]))?.doc ?? ''),
  })).concat([{ type: 'object', required: ['kind'], properties: { kind: { type: 'string' }, comm: { type: 'string' } }, description: 'TPStyle(kind, comm)' }]),
  markdownDescription: 'A parallel style: ' + names.slice().sort().map((n) => '`' + n + '`').join(', '),
};
const planSchema = { oneOf: [{ const: 'auto', description: "the model's built-in plan" }, { type: 'object', additionalProperties: styleSchema, propertyNames: { pattern: '^[A-Za-z_*][\\w.*]*$' } }] };
const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://shardscope.dev/schemas/shardplan.schema.json',
  title: 'Shardscope plan',
  type: 'object',
  required: ['model', 'mesh'],
  // An expert-parallel plan alone (transformers' base_model_ep_plan) is a plan too.
  anyOf: [{ required: ['plan'] }, { required: ['ep_plan'] }],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    model: { description: 'A config.json path, a checkpoint folder, a preset name (llama-3-8b, mixtral-8x7b, qwen3-30b-a3b, deepseek-v3, ...) or an inline config object.', oneOf: [{ type: 'string' }, { type: 'object', required: ['model_type'] }] },
    mesh: { description: 'The dense device mesh as named dims; the world size is their product.', type: 'object', minProperties: 1, additionalProperties: { type: 'integer', minimum: 1 }, examples: [{ tp: 8 }, { dp: 2, tp: 4 }] },
    expert_parallel: { description: 'Mesh dims the experts spread over (transformers: ["tp"], so ep = tp).', type: 'array', items: { type: 'string' }, uniqueItems: true },
    plan: { description: 'Pattern → style, keys relative to the base model as in base_model_tp_plan, or "auto".', ...planSchema },
    ep_plan: { description: 'Pattern → style applied with expert parallelism.', ...planSchema },
    sequence_parallel: { description: 'The plan shards activations along the sequence.', type: 'boolean' },
    run: {
      description: 'Rehearsal and estimate settings.',
      type: 'object',
      additionalProperties: false,
      properties: {
        batch: { type: 'integer', minimum: 1, default: 1 },
        seq_len: { type: 'integer', minimum: 1, default: 4096 },
        dtype: { enum: ['bfloat16', 'float32', 'float16'], default: 'bfloat16' },
        layers: { type: 'array', items: { type: 'integer', minimum: 0 } },
        ranks: { type: 'integer', minimum: 1 },
        backend: { enum: ['auto', 'cpu', 'cuda'], default: 'auto' },
        mode: { enum: ['inference', 'training'], default: 'inference' },
        gpu_memory_gib: { type: 'number', exclusiveMinimum: 0 },
      },
    },
  },
};
mkdirSync('schemas', { recursive: true });
writeFileSync('schemas/shardplan.schema.json', JSON.stringify(schema, null, 2) + '\n');
console.log(`grammars written with ${names.length} style names`);
