import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "Autoencoders in your browser",
  description:
    "A denoising autoencoder for face photos and a 2-D variational autoencoder for MNIST, trained with TensorFlow.js and run on your own device.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page renders per request, so that Next can put the request's CSP nonce (proxy.ts) on its scripts.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen bg-white text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        {children}
      </body>
    </html>
  );
}
