// A real configuration file of a transformers release, read from the local wheel mirror (never copied
// into the repository); undefined where the mirror is absent.
import { mirrorWheels, readZipTexts } from '../test/unit/helpers/wheels';

export async function configurationFile(version: string, modelType: string): Promise<{ path: string; text: string } | undefined> {
  const wheel = mirrorWheels('transformers').find((w) => w.version === version);
  if (!wheel) return undefined;
  const name = `transformers/models/${modelType}/configuration_${modelType}.py`;
  const text = (await readZipTexts(wheel.path, (n) => n === name)).get(name);
  return text === undefined ? undefined : { path: `/mirror/transformers-${version}/${name}`, text };
}
