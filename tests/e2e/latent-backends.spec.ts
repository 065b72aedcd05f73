import { expect, test } from "./fixtures";
import { decodeInNode, hoverAt, LATENT_VIEWPORT, openLatentPage, project } from "./latent-helpers";

/** The latent page decodes on every project's backend (the rest of the page: latent.spec.ts, on webgl and wasm). */

test.use({ viewport: LATENT_VIEWPORT });

test.describe("the latent page", () => {
  test("hovering two far-apart points decodes two different digits, each as the decoder does in Node", async ({ page, baseURL }, testInfo) => {
    const { backend, query } = project(testInfo);
    await openLatentPage(page, backend, query);
    const a = await hoverAt(page, 0.2, 0.2);
    const b = await hoverAt(page, 0.8, 0.8);
    expect(Math.hypot(a.z[0] - b.z[0], a.z[1] - b.z[1])).toBeGreaterThan(1);
    let differ = 0;
    for (let i = 0; i < a.pixels.length; i++) differ += Math.abs(a.pixels[i] - b.pixels[i]);
    expect(differ / a.pixels.length).toBeGreaterThan(10);
    for (const shown of [a, b]) {
      const node = await decodeInNode(baseURL!, shown.z);
      let max = 0;
      for (let i = 0; i < node.length; i++) max = Math.max(max, Math.abs(node[i] - shown.pixels[i]));
      expect(max, `z = ${shown.z}`).toBeLessThanOrEqual(3);
    }
  });

});
