// Every plan of every configuration file of the transformers wheels in the local mirror is read whole:
// the entries the reader yields are the dict Python itself evaluates (ast.literal_eval, or an eval with
// no builtins for the comprehensions), key by key and style by style, with no SS001/SS006 on the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parsePythonPlans } from '../../../extension/core/plan';
import type { Plan } from '../../../extension/core/plan';
import { hasWheelMirror, mirrorWheels, readZipTexts } from '../helpers/wheels';

const CONFIG_FILE = /^transformers\/models\/[^/]+\/configuration_[^/]+\.py$/;
const HAS_PLAN = /base_model_(tp|ep)_plan/;

// Python's own reading: each assignment to a *_plan name (a name or an attribute), anywhere, evaluated
// as Python evaluates it; None for `= None`, "not static" where Python needs more than the expression.
const PY = String.raw`
import ast, json, re, sys
PAT = re.compile(r'^(?:base_model_|_)?(?:\w+_)?(tp|ep|sp|pp)_plan$|^_(tp|ep|sp|pp)_plan$')
out = {}
for path, text in json.load(sys.stdin).items():
    plans = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Assign): targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None: targets, value = [node.target], node.value
        else: continue
        for t in targets:
            name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else None
            if not name or not PAT.match(name): continue
            try: v = ast.literal_eval(value)
            except Exception:
                try: v = eval(compile(ast.Expression(value), path, 'eval'), {'__builtins__': {}})
                except Exception: v = 'not static'
            if isinstance(v, dict): v = [[k, list(map(list, s)) if isinstance(s, tuple) else s] for k, s in v.items()]
            plans.append({'name': name, 'line': value.lineno, 'value': v})
    out[path] = plans
json.dump(out, sys.stdout)
`;

type PyPlan = { name: string; line: number; value: [string, unknown][] | null | string };

function pythonReading(files: Map<string, string>): Record<string, PyPlan[]> | undefined {
  if (spawnSync('python3', ['--version']).status !== 0) return undefined;
  const r = spawnSync('python3', ['-c', PY], { input: JSON.stringify(Object.fromEntries(files)), maxBuffer: 256 * 2 ** 20 });
  assert.equal(r.status, 0, r.stderr?.toString());
  return JSON.parse(r.stdout.toString());
}

/** Without Python: the entries of a plain dict display counted from its text (depth-1 colons outside
 *  strings and comments); undefined where the display merges or comprehends. */
function countDisplay(text: string): number | undefined {
  const t = text.replace(/#[^\n]*/g, '').replace(/("""|''')[\s\S]*?\1|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, 's');
  let depth = 0;
  let n = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if ('{[('.includes(c)) depth++;
    else if ('}])'.includes(c)) depth--;
    else if (depth === 1 && c === ':') n++;
    else if (depth === 1 && (t.startsWith('**', i) || /\bfor\b/.test(t.slice(i, i + 4)))) return undefined;
  }
  return n;
}

const lineOf = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/** A plan as Python's dict would hold it: later keys replace earlier ones where they first stood. */
function asDict(p: Plan): [string, unknown][] {
  const out = new Map<string, unknown>();
  if (p.kind === 'pp') for (const e of p.ppEntries ?? []) out.set(e.key, [e.inputs, e.outputs]);
  else for (const e of p.entries) out.set(e.key, e.style.kind === 'name' ? e.style.name : e.styleText);
  return [...out];
}

test("transformers wheels: every plan entry of every configuration file is read, as Python reads it", async (t) => {
  if (!hasWheelMirror()) {
    console.log('skipped: no local wheel mirror');
    return;
  }
  const wheels = mirrorWheels('transformers');
  assert.ok(wheels.length >= 1, 'the mirror links a transformers wheel');
  for (const w of wheels) {
    const files = new Map([...(await readZipTexts(w.path, (n) => CONFIG_FILE.test(n)))].filter(([, text]) => HAS_PLAN.test(text)));
    assert.ok(files.size > 10, `${w.file}: configuration files with plans`);
    const python = pythonReading(files);
    let entries = 0;
    let plansRead = 0;
    let computed = 0;
    for (const [path, text] of files) {
      const doc = parsePythonPlans(text, `${w.file}/${path}`);
      const bad = doc.diagnostics.filter((d) => d.code === 'SS001' || d.code === 'SS006');
      assert.deepEqual(bad.map((d) => `${path}:${lineOf(text, d.range.start)}: ${d.code} ${d.message}`), [], `${w.file}`);
      const ours = doc.plans.map((p) => ({ name: p.name, line: lineOf(text, p.range.start), dict: asDict(p), plan: p }));
      if (python) {
        const theirs = python[path];
        assert.ok(theirs.every((p) => p.value !== 'not static'), `${path}: Python evaluates every plan`);
        const expected = theirs.filter((p) => p.value !== null);
        assert.deepEqual(ours.map((p) => [p.name, p.line]), expected.map((p) => [p.name, p.line]), `${w.file} ${path}: the plans`);
        ours.forEach((p, i) => assert.deepEqual(p.dict, expected[i].value, `${w.file} ${path}:${p.line} ${p.name}`));
      } else {
        for (const p of ours) {
          const n = countDisplay(text.slice(p.plan.range.start, p.plan.range.end));
          if (n !== undefined) assert.equal(p.dict.length, n, `${w.file} ${path}:${p.line} ${p.name}`);
        }
      }
      for (const p of ours) {
        entries += p.dict.length;
        plansRead++;
        computed += p.plan.entries.filter((e) => e.computed).length;
      }
    }
    t.diagnostic(`${w.file}: ${files.size} files, ${plansRead} plans, ${entries} entries (${computed} from comprehensions)${python ? ', each as Python reads it' : ', counted from the text'}`);
  }
});
