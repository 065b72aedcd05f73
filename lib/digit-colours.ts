/**
 * One colour per MNIST digit, 0 to 9 (Tableau 10): the latent page's scatters and the home page's picture of the
 * latent plane (scripts/make-derived.ts) colour the digits alike.
 */
export const DIGIT_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#7f7f7f"] as const;
