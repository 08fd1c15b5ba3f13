/**
 * AES-256-GCM, the one cipher for wrapping data keys and sealing fields. The associated data names
 * exactly what a ciphertext is (organization, table, column, row): moved anywhere else, it fails
 * to decrypt instead of showing one patient's data as another's.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV = 12;
const TAG = 16;

/**
 * IVs are cut from a pool of random bytes refilled 4 KiB at a time: asking the CSPRNG for 12 bytes
 * per sealed field cost as much as the encryption itself on the path every message takes. Each IV
 * is still 96 fresh random bits, used once.
 */
const POOL = 4096;
let pool = Buffer.alloc(0);
let poolAt = POOL;
function freshIv(): Buffer {
  if (poolAt + IV > pool.length) {
    pool = randomBytes(POOL);
    poolAt = 0;
  }
  poolAt += IV;
  // A copy: the sealed value must not share memory with the pool.
  return Buffer.from(pool.subarray(poolAt - IV, poolAt));
}

export function gcmSeal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = freshIv();
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
}

export function gcmOpen(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < IV + TAG) throw new Error('ciphertext too short');
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(sealed.subarray(IV, IV + TAG));
  return Buffer.concat([d.update(sealed.subarray(IV + TAG)), d.final()]);
}
