// Writes syntaxes/*.tmLanguage.json from the style catalog, so the highlighted style names never drift
// from what the engine accepts. Run after changing the catalog: node scripts/gen-grammars.mjs
import { build } from 'esbuild';
import { writeFileSync, mkdirSync } from 'node:fs';

const out = await build({ stdin: { contents: "export { listStyles } from './extension/core/styles';", resolveDir: '.', loader: 'ts' }, bundle: true, platform: 'node', format: 'cjs', write: false, mainFields: ['module', 'main'] });
const mod = { exports: {} };
new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, (await import('node:module')).createRequire(import.meta.url));
const names = [...new Set(mod.exports.listStyles().map((e) => e.name))].sort((a, b) => b.length - a.length);
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
    style: { match: `(")(${styleAlt})(")`, captures: { 1: { name: 'punctuation.definition.string.begin.shardplan' }, 2: { name: 'support.constant.style.shardplan' }, 3: { name: 'punctuation.definition.string.end.shardplan' } } },
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
    style: {
      match: `(["'])(${styleAlt})(\\1)`,
      captures: { 1: { name: 'punctuation.definition.string.begin.python' }, 2: { name: 'support.constant.style.shardscope' }, 3: { name: 'punctuation.definition.string.end.python' } },
    },
  },
};

mkdirSync('syntaxes', { recursive: true });
writeFileSync('syntaxes/shardplan.tmLanguage.json', JSON.stringify(shardplan, null, 2) + '\n');
writeFileSync('syntaxes/python-plan.injection.tmLanguage.json', JSON.stringify(injection, null, 2) + '\n');
console.log(`grammars written with ${names.length} style names`);
