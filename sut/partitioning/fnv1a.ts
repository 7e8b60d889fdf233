/**
 * 32-bit FNV-1a over the UTF-8 bytes of a string: the production service's partition
 * function (partition = fnv1a(user_id) mod partitions), so one player's events stay in order
 * on one partition.
 */
export function fnv1a32(value: string): number {
  let hash = 0x811c9dc5;
  const bytes = Buffer.from(value, 'utf8');
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function partitionOf(userId: string, partitions: number): number {
  return fnv1a32(userId) % partitions;
}
