// A request's paths are relative to the request file's folder, data specs included: their source
// (or INPUTS,LABELS pair) and every FILE.json selection term; ranges stay as they are.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseTerm } from '../data/select.js';

export function resolvePath(base: string, path: string): string {
  return resolve(base, path);
}

export function resolveSpec(base: string, spec: string): string {
  const at = (p: string) => resolve(base, p);
  const exists = (p: string) => existsSync(at(p)) || (p.includes(',') && existsSync(at(p.slice(0, p.indexOf(',')))));
  if (existsSync(at(spec))) return at(spec);
  const parts = spec.split('@');
  let k = 1;
  for (let j = parts.length - 1; j > 1; j--)
    if (exists(parts.slice(0, j).join('@'))) {
      k = j;
      break;
    }
  const source = parts.slice(0, k).join('@');
  const resolved = !existsSync(at(source)) && source.includes(',') ? source.split(',').map(at).join(',') : at(source);
  const terms = parts.slice(k).map((t) => {
    if (parseTerm(t).kind !== 'file') return t;
    const negate = t.startsWith('~');
    return `${negate ? '~' : ''}${at(negate ? t.slice(1) : t)}`;
  });
  return [resolved, ...terms].join('@');
}
