/**
 * The denoising page's sample faces: these faces of the CelebA test set (../shared/data/faces/faces-64-test.u8),
 * written to public/samples/face-<index>.png by scripts/make-samples.ts.
 */
export const SAMPLE_FACE_INDICES = [101, 105, 112, 127, 139, 179] as const;

export const sampleFacePath = (index: number) => `/samples/face-${index}.png`;
