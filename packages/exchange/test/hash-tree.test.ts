import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildHashTree, hashTreeRoot, leafHash, nodeHash, rootFromProof } from '../src/index.ts';

const digestOf = (i: number) => createHash('sha256').update(`message ${i}`).digest();

/** RFC 6962 §2.1 MTH, recursively, as an independent reference. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leafHash(leaves[0] as Buffer);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

function verifies(leaf: Buffer, index: number, size: number, proof: Buffer[], root: Buffer): boolean {
  try {
    return rootFromProof(leaf, index, size, proof).equals(root);
  } catch (error) {
    expect((error as { code?: string }).code).toBe('JPX_SIGNATURE_INVALID');
    return false;
  }
}

describe('hash tree', () => {
  it('uses the domain-separated leaf and node hashes', () => {
    const d = digestOf(0);
    expect(leafHash(d).equals(createHash('sha256').update(Buffer.concat([Buffer.from([0]), d])).digest())).toBe(true);
    const { root, proofs } = buildHashTree([d]);
    expect(root.equals(leafHash(d))).toBe(true);
    expect(proofs).toEqual([[]]);
    const two = buildHashTree([d, digestOf(1)]);
    expect(two.root.equals(createHash('sha256').update(Buffer.concat([Buffer.from([1]), leafHash(d), leafHash(digestOf(1))])).digest())).toBe(true);
  });

  it('proofs of every leaf verify for trees of size 1..33, and the root equals RFC 6962 MTH', () => {
    for (let size = 1; size <= 33; size++) {
      const leaves = Array.from({ length: size }, (_, i) => digestOf(i));
      const { root, proofs } = buildHashTree(leaves);
      expect(root.equals(mth(leaves))).toBe(true);
      expect(hashTreeRoot(leaves).equals(root)).toBe(true);
      for (let i = 0; i < size; i++) {
        expect(verifies(leaves[i] as Buffer, i, size, proofs[i] as Buffer[], root)).toBe(true);
        expect((proofs[i] as Buffer[]).length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
      }
    }
  });

  it('a wrong leaf, index, tree shape or sibling fails', () => {
    for (let size = 2; size <= 33; size++) {
      const leaves = Array.from({ length: size }, (_, i) => digestOf(i));
      const { root, proofs } = buildHashTree(leaves);
      for (let i = 0; i < size; i++) {
        const leaf = leaves[i] as Buffer;
        const proof = proofs[i] as Buffer[];
        expect(verifies(digestOf(1000 + i), i, size, proof, root)).toBe(false);
        expect(verifies(leaf, (i + 1) % size, size, proof, root)).toBe(false);
        // treeSize only shapes the path: a size giving another path shape fails (one giving the same shape reaches the same root).
        if (i === 0) expect(verifies(leaf, 0, 1, proof, root)).toBe(false);
        if (i === size - 1 && (size & (size - 1)) !== 0) expect(verifies(leaf, i, size * 4, proof, root)).toBe(false);
        for (let j = 0; j < proof.length; j++) {
          const bad = proof.map((p) => Buffer.from(p));
          (bad[j] as Buffer)[j % 32]! ^= 0x01;
          expect(verifies(leaf, i, size, bad, root)).toBe(false);
        }
        expect(verifies(leaf, i, size, proof.slice(1), root)).toBe(false);
        expect(verifies(leaf, i, size, [...proof, digestOf(-1)], root)).toBe(false);
      }
    }
  });

  it('refuses bad arguments', () => {
    expect(() => buildHashTree([])).toThrow(expect.objectContaining({ code: 'JPX_INVALID_ARGUMENT' }));
    expect(() => buildHashTree([Buffer.alloc(31)])).toThrow(expect.objectContaining({ code: 'JPX_INVALID_ARGUMENT' }));
    expect(() => rootFromProof(digestOf(0), 1, 1, [])).toThrow(expect.objectContaining({ code: 'JPX_INVALID_ARGUMENT' }));
  });
});
