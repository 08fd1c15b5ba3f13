import { randomBytes, randomInt } from 'node:crypto';

/** Random, URL-safe, sortable-enough ids: time prefix keeps index inserts local. */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomBytes(10).toString('base64url')}`;
}

// No 0/O, 1/I/L: staff read these aloud and type them.
const REF_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** A short conversation reference such as "7F3K": opaque, no PHI, unique per organization. */
export function newConversationRef(length = 5): string {
  let ref = '';
  for (let i = 0; i < length; i++) ref += REF_ALPHABET[randomInt(REF_ALPHABET.length)];
  return ref;
}

export function newPublicKey(): string {
  return `pk_${randomBytes(12).toString('base64url')}`;
}
