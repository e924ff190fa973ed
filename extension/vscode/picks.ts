// The status bar's picks (model, mesh, GPU memory): what plans are checked against when their file names
// none. Every pick is kept per workspace (workspaceState), so a reload finds it as it was.
import * as vscode from 'vscode';
import { engine } from './lazy-engine';
import type { PlanController } from './controller';
import { isSet, type Choices } from './context';
// A constant, not the engine: importing it keeps the lazy engine bundle unloaded.
import { ASSUMED_GPU_MEMORY_GIB } from '../core/editing/assumptions';

const KEY = 'shardscope.picks';
/** The choices a user makes (the detected transformers version is found again at each start). */
type Picks = Pick<Choices, 'model' | 'mesh' | 'gpuMemoryGiB'>;

export function registerPicks(context: vscode.ExtensionContext, ctl: PlanController): { update(): void; disposables: vscode.Disposable[] } {
  const saved = context.workspaceState.get<Picks>(KEY) ?? {};
  Object.assign(ctl.choices, { model: saved.model, mesh: saved.mesh, gpuMemoryGiB: saved.gpuMemoryGiB });
  const modelItem = vscode.window.createStatusBarItem('shardscope.model', vscode.StatusBarAlignment.Right, 101);
  const meshItem = vscode.window.createStatusBarItem('shardscope.mesh', vscode.StatusBarAlignment.Right, 100);
  modelItem.name = 'Shardscope model';
  meshItem.name = 'Shardscope mesh';
  const update = () => {
    const cfg = vscode.workspace.getConfiguration('shardscope');
    modelItem.text = `$(server-process) ${ctl.choices.model ?? (cfg.get<string>('model') || 'model from the file')}`;
    modelItem.tooltip = 'Shardscope: the model plans are checked against when the file names none. Click to pick one.';
    modelItem.command = 'shardscope.pickModel';
    const mesh = ctl.choices.mesh ?? cfg.get<string>('defaultMesh', 'tp=8');
    const meshNamed = ctl.choices.mesh !== undefined || isSet(cfg, 'defaultMesh');
    meshItem.text = `$(circuit-board) ${mesh}${meshNamed ? '' : ' (assumed)'}`;
    meshItem.tooltip = `Shardscope: the mesh for plans that name none${meshNamed ? '' : ' (the default; findings on it are warnings until you pick one)'}. Click to pick one.`;
    meshItem.command = 'shardscope.pickMesh';
    modelItem.show();
    meshItem.show();
  };
  const save = async () => {
    const picks: Picks = { model: ctl.choices.model, mesh: ctl.choices.mesh, gpuMemoryGiB: ctl.choices.gpuMemoryGiB };
    await context.workspaceState.update(KEY, picks);
    update();
    ctl.refreshAll();
  };
  update();
  return {
    update,
    disposables: [
      modelItem,
      meshItem,
      vscode.commands.registerCommand('shardscope.pickModel', async () => {
        const items: (vscode.QuickPickItem & { ref?: string; browse?: boolean })[] = [
          ...engine().PRESETS.map((p) => ({ label: p.name, description: p.repo, detail: `${String(p.config.model_type)} · ${String(p.config.num_hidden_layers)} layers`, ref: p.name })),
          { label: '$(folder-opened) Browse for a config.json or checkpoint folder…', browse: true },
        ];
        const pick = await vscode.window.showQuickPick(items, { title: 'Shardscope: model to check plans against', placeHolder: 'a preset, or a config.json / checkpoint folder' });
        if (!pick) return;
        let ref = pick.ref;
        if (pick.browse) {
          const uris = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, filters: { 'config.json': ['json'] } });
          ref = uris?.[0]?.fsPath;
        }
        if (!ref) return;
        ctl.choices.model = ref;
        await save();
      }),
      vscode.commands.registerCommand('shardscope.pickMesh', async () => {
        const value = await vscode.window.showInputBox({
          title: 'Shardscope: device mesh',
          prompt: 'Named dims whose product is the world size, e.g. tp=4 or dp=2,tp=4',
          value: ctl.choices.mesh ?? vscode.workspace.getConfiguration('shardscope').get('defaultMesh', 'tp=8'),
          validateInput: (v) => {
            try {
              engine().parseMesh(v);
              return undefined;
            } catch (e) {
              return (e as Error).message;
            }
          },
        });
        if (!value) return;
        ctl.choices.mesh = value;
        await save();
      }),
      vscode.commands.registerCommand('shardscope.pickGpuMemory', async () => {
        const cfg = vscode.workspace.getConfiguration('shardscope');
        const value = await vscode.window.showInputBox({
          title: 'Shardscope: GPU memory per rank (GiB)',
          prompt: 'For the memory check (SS402), e.g. 80 for an H100, 141 for an H200',
          value: String(ctl.choices.gpuMemoryGiB ?? cfg.get<number>('gpuMemoryGiB') ?? ASSUMED_GPU_MEMORY_GIB),
          validateInput: (v) => (Number(v) > 0 && Number.isFinite(Number(v)) ? undefined : 'a positive number of GiB'),
        });
        if (!value) return;
        ctl.choices.gpuMemoryGiB = Number(value);
        await save();
      }),
    ],
  };
}

