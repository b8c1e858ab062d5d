import { describe, expect, it } from 'vitest';
import { shortestFloat32 } from '../../src/core/float32.ts';

/** The definition: the first precision, counting up, whose digits read back as f. */
function countingUp(f: number): string {
  for (let p = 1; p < 9; p++) if (Math.fround(Number(f.toPrecision(p))) === f) return f.toPrecision(p);
  return f.toPrecision(9);
}

describe('shortestFloat32', () => {
  it('writes the fewest digits that read back as the float32, as Go does', () => {
    // gitleaks' expected JSON report (testdata/expected/report/json_simple.json).
    expect(shortestFloat32(Math.fround(1.9606875))).toBe('1.9606875');
    expect(shortestFloat32(Math.fround(3.0841837))).toBe('3.0841837');
    expect(shortestFloat32(Math.fround(0.1))).toBe('0.1');
    expect(shortestFloat32(4)).toBe('4');
    expect(shortestFloat32(Math.fround(-2.5))).toBe('-2.5');
    expect(shortestFloat32(Math.fround(3.4e38))).toBe('3.4e+38');
  });

  it('agrees with counting digits up from one, over every kind of float32', () => {
    const f32 = new Float32Array(1);
    const bits = new Uint32Array(f32.buffer);
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 20_000; i++) {
      bits[0] = next();
      const f = i % 2 === 0 ? Math.fround((next() / 2 ** 32) * 8) : f32[0]!;
      if (!Number.isFinite(f) || f === 0) continue;
      expect(shortestFloat32(f)).toBe(countingUp(f));
    }
  });
});
