/**
 * A small seedable random source. Noise must be reproducible from a seed (the page's reseed button, the server's
 * `seed` parameter, the evaluation), identically in the browser, on the server and in training, so it cannot
 * depend on Math.random or on a tfjs backend's generator.
 */
export interface Random {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
  /** Where the sequence stands: `resumeRandom(saved)` goes on from exactly here (a training checkpoint keeps it). */
  save(): RandomState;
}

/** The whole state of a Random, plain data for a checkpoint. */
export interface RandomState {
  state: number;
  spareNormal: number | null;
}

/** mulberry32: 32-bit state, fast, and good enough for image noise (not for cryptography). */
export function createRandom(seed: number): Random {
  return resumeRandom({ state: seed >>> 0, spareNormal: null });
}

/** A Random that goes on from a saved state. */
export function resumeRandom(saved: RandomState): Random {
  let { state, spareNormal } = saved;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // Box-Muller gives normals in pairs; keep the second for the next call.
  const normal = () => {
    if (spareNormal !== null) {
      const value = spareNormal;
      spareNormal = null;
      return value;
    }
    const u1 = 1 - uniform(); // in (0, 1], so the log is finite
    const u2 = uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    spareNormal = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  };
  return { uniform, normal, save: () => ({ state, spareNormal }) };
}
