const OFFSET_BASIS = 0x811c9dc5;
const PRIME = 0x01000193;

/**
 * 32-bit FNV-1a over the UTF-8 bytes of a string: the production service's partition
 * function (partition = fnv1a(user_id) mod partitions), so one player's events stay in order
 * on one partition. ASCII ids (uuids) are hashed straight from their char codes, which equal
 * their UTF-8 bytes; anything else goes through a UTF-8 encoding.
 */
export function fnv1a32(value: string): number {
  let hash = OFFSET_BASIS;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x80) return fnv1a32Bytes(Buffer.from(value, 'utf8'));
    hash = Math.imul(hash ^ code, PRIME);
  }
  return hash >>> 0;
}

function fnv1a32Bytes(bytes: Uint8Array): number {
  let hash = OFFSET_BASIS;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, PRIME);
  return hash >>> 0;
}

/** The most partitions a service or a simulation takes (production runs 8). */
export const MAX_PARTITIONS = 1024;

export function partitionOf(userId: string, partitions: number): number {
  return fnv1a32(userId) % partitions;
}
