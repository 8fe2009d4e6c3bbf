// Batch hash tree of jpx/1 (the Merkle tree of RFC 6962 / RFC 9162 §2.1, with SHA-256):
//   leaf node     = SHA-256(0x00 ‖ message digest)
//   internal node = SHA-256(0x01 ‖ left ‖ right)
// Built level by level from the left; a node without a right sibling is promoted unchanged.
import { createHash } from 'node:crypto';
import { ExchangeError } from './errors.ts';

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);
const HASH_BYTES = 32;

export function leafHash(digest: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF).update(digest).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

function checkHash(value: unknown, what: string): asserts value is Buffer {
  if (!(value instanceof Uint8Array) || value.length !== HASH_BYTES) {
    throw new ExchangeError('JPX_INVALID_ARGUMENT', `${what} must be ${HASH_BYTES} bytes`);
  }
}

/** Root and, per leaf, its inclusion proof (sibling hashes, bottom-up). */
export function buildHashTree(leaves: readonly Buffer[]): { root: Buffer; proofs: Buffer[][] } {
  if (!Array.isArray(leaves) || leaves.length === 0) throw new ExchangeError('JPX_INVALID_ARGUMENT', 'a hash tree needs at least one leaf');
  leaves.forEach((leaf, i) => checkHash(leaf, `leaf ${i}`));
  const proofs: Buffer[][] = leaves.map(() => []);
  // position[i] = index of leaf i's ancestor on the current level.
  const position = leaves.map((_, i) => i);
  let level = leaves.map(leafHash);
  while (level.length > 1) {
    for (let i = 0; i < leaves.length; i++) {
      const p = position[i] as number;
      const sibling = p % 2 === 1 ? level[p - 1] : level[p + 1];
      if (sibling) (proofs[i] as Buffer[]).push(sibling);
      position[i] = p >>> 1;
    }
    const next: Buffer[] = [];
    for (let j = 0; j < level.length; j += 2) {
      next.push(j + 1 < level.length ? nodeHash(level[j] as Buffer, level[j + 1] as Buffer) : (level[j] as Buffer));
    }
    level = next;
  }
  return { root: level[0] as Buffer, proofs };
}

/** The root only (what a log timestamp stamps): buildHashTree's root without the proofs, in O(n) hashes and memory. */
export function hashTreeRoot(leaves: readonly Buffer[]): Buffer {
  if (!Array.isArray(leaves) || leaves.length === 0) throw new ExchangeError('JPX_INVALID_ARGUMENT', 'a hash tree needs at least one leaf');
  leaves.forEach((leaf, i) => checkHash(leaf, `leaf ${i}`));
  let level = leaves.map(leafHash);
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let j = 0; j < level.length; j += 2) next.push(j + 1 < level.length ? nodeHash(level[j] as Buffer, level[j + 1] as Buffer) : (level[j] as Buffer));
    level = next;
  }
  return level[0] as Buffer;
}

/**
 * The root implied by a message digest, its position and its proof (RFC 9162 §2.1.3.2).
 * Throws JPX_SIGNATURE_INVALID when the proof has the wrong length for (leafIndex, treeSize).
 */
export function rootFromProof(leaf: Buffer, leafIndex: number, treeSize: number, proof: readonly Buffer[]): Buffer {
  checkHash(leaf, 'leaf');
  if (!Number.isInteger(treeSize) || treeSize < 1 || treeSize > 0xffff_ffff) throw new ExchangeError('JPX_INVALID_ARGUMENT', 'treeSize must be 1..2^32-1');
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= treeSize) throw new ExchangeError('JPX_INVALID_ARGUMENT', 'leafIndex must be 0..treeSize-1');
  if (!Array.isArray(proof)) throw new ExchangeError('JPX_INVALID_ARGUMENT', 'proof must be an array');
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash(leaf);
  for (const [i, p] of proof.entries()) {
    checkHash(p, `proof element ${i}`);
    if (sn === 0) throw new ExchangeError('JPX_SIGNATURE_INVALID', 'inclusion proof is longer than the tree allows');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new ExchangeError('JPX_SIGNATURE_INVALID', 'inclusion proof is shorter than the tree requires');
  return r;
}
