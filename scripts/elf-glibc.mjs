// The oldest glibc a Linux ELF binary (the native addon's .node) can load on: the highest GLIBC_x.y
// among the versions it needs, read from its GNU version-needed section (what `objdump -T` reports).
// OLDEST_GLIBC is the value the README states for the linux-x64 .vsix; scripts/check-glibc.mjs enforces it.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const OLDEST_GLIBC = '2.34';

const SHT_GNU_VERNEED = 0x6ffffffe;

/** Every version name the file needs, per library: { 'libc.so.6': ['GLIBC_2.2.5', ...] }. */
export function versionsNeeded(buf, file = 'file') {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file}: not an ELF file`);
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error(`${file}: expected a 64-bit little-endian ELF (linux-x64)`);
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const section = (i) => {
    const o = shoff + i * shentsize;
    return { type: buf.readUInt32LE(o + 4), offset: Number(buf.readBigUInt64LE(o + 0x18)), link: buf.readUInt32LE(o + 0x28), info: buf.readUInt32LE(o + 0x2c) };
  };
  const cstr = (o) => buf.toString('latin1', o, buf.indexOf(0, o));
  const out = {};
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (s.type !== SHT_GNU_VERNEED) continue;
    const strtab = section(s.link).offset;
    let vn = s.offset;
    for (let n = 0; n < s.info; n++) {
      const lib = cstr(strtab + buf.readUInt32LE(vn + 4));
      const names = (out[lib] ??= []);
      let aux = vn + buf.readUInt32LE(vn + 8);
      for (let k = 0, cnt = buf.readUInt16LE(vn + 2); k < cnt; k++) {
        names.push(cstr(strtab + buf.readUInt32LE(aux + 8)));
        aux += buf.readUInt32LE(aux + 12);
      }
      vn += buf.readUInt32LE(vn + 12);
    }
  }
  return out;
}

/** Compares dotted versions: 2.34 > 2.4 > 2.2.5. */
export function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The highest GLIBC_ version the file needs, or undefined if it needs none. */
export function oldestGlibc(buf, file) {
  const all = Object.values(versionsNeeded(buf, file)).flat().filter((v) => v.startsWith('GLIBC_')).map((v) => v.slice(6));
  return all.sort(compareVersions).at(-1);
}

/** The addon files the .vsix ships. */
export function addonFiles(root = '.') {
  const dir = join(root, 'native/build/Release');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.node')).map((n) => join(dir, n)) : [];
}

