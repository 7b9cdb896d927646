// A request's paths are relative to the request file's folder, data specs included: their source
// (or INPUTS,LABELS pair) and every FILE.json selection term; ranges stay as they are.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { splitSource } from '../data/dataset.js';
import { parseTerm } from '../data/select.js';

export function resolvePath(base: string, path: string): string {
  return resolve(base, path);
}

export function resolveSpec(base: string, spec: string): string {
  const at = (p: string) => resolve(base, p);
  const exists = (p: string) => existsSync(at(p)) || (p.includes(',') && existsSync(at(p.slice(0, p.indexOf(',')))));
  if (existsSync(at(spec))) return at(spec);
  const { source, terms: raw } = splitSource(spec, exists);
  const resolved = !existsSync(at(source)) && source.includes(',') ? source.split(',').map(at).join(',') : at(source);
  const terms = raw.map((t) => {
    if (parseTerm(t).kind !== 'file') return t;
    const negate = t.startsWith('~');
    return `${negate ? '~' : ''}${at(negate ? t.slice(1) : t)}`;
  });
  return [resolved, ...terms].join('@');
}
