/**
 * The master key wraps every organization's data key; it is given to the process (MASTER_KEY, or a
 * file named by MASTER_KEY_FILE) and never written into the database or DATA_DIR, so a copy of
 * the data alone decrypts nothing (HHS: encrypted PHI whose key is kept apart is not a breach).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface MasterKey {
  /** A short fingerprint recorded with each wrapped key, to say which master key it needs. */
  id: string;
  key: Buffer;
}

export function parseMasterKey(text: string): MasterKey {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) throw new Error('must be 32 bytes, as 64 hex digits or base64');
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

export function newMasterKeyText(): string {
  return randomBytes(32).toString('base64');
}

/**
 * Where a development install keeps its generated key: beside DATA_DIR's parent, not inside it,
 * so copying or backing up the data folder does not copy the key.
 */
export function devMasterKeyPath(dataDir: string): string {
  const abs = resolve(dataDir);
  const tag = createHash('sha256').update(abs).digest('hex').slice(0, 8);
  return join(dirname(abs), `.bedside-master-${tag}.key`);
}

export function loadMasterKey(opts: { value?: string; file?: string; dataDir: string; allowGenerate: boolean }): { key: MasterKey; generatedAt?: string } {
  if (opts.value) return { key: parseMasterKey(opts.value) };
  if (opts.file) return { key: parseMasterKey(readFileSync(opts.file, 'utf8')) };
  const path = devMasterKeyPath(opts.dataDir);
  if (existsSync(path)) return { key: parseMasterKey(readFileSync(path, 'utf8')) };
  if (!opts.allowGenerate) throw new Error('No master key: set MASTER_KEY or MASTER_KEY_FILE (a development install generates one on its first start)');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${newMasterKeyText()}\n`, { mode: 0o600, flag: 'wx' });
  return { key: parseMasterKey(readFileSync(path, 'utf8')), generatedAt: path };
}
