// The panel's persisted state (getState/setState), so a hidden and re-shown panel comes back as it was.
export interface PanelState {
  tab: 'shapes' | 'timeline' | 'summary' | 'hang' | 'commDebug';
  rank: number;
  view?: { t0: number; t1: number };
  collapsed: string[];
  /** Kinds of data the panel has shown: the host sends them again when a hidden panel comes back. */
  seen?: string[];
}

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const vscode: VsCodeApi = typeof acquireVsCodeApi === 'function'
  ? acquireVsCodeApi()
  : { postMessage: () => undefined, getState: () => undefined, setState: () => undefined };

const DEFAULT: PanelState = { tab: 'timeline', rank: 0, collapsed: [] };

export function loadState(): PanelState {
  const s = vscode.getState() as Partial<PanelState> | undefined;
  return { ...DEFAULT, ...(s && typeof s === 'object' ? s : {}) };
}

export function saveState(s: PanelState): void {
  vscode.setState(s);
}
