import type { PixelImage } from "@/lib/image";
import { encodePng } from "./photo";

export function formatDb(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : "∞";
}

export async function downloadPng(image: PixelImage, name: string): Promise<void> {
  const url = URL.createObjectURL(await encodePng(image));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
