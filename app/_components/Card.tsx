import { type ComponentProps, type ReactNode, useId } from "react";

/** One of a page's numbered or titled panels: a bordered section named by its heading, with an optional intro. */
export function Card({ title, intro, children, className = "", ...section }: { title: ReactNode; intro?: ReactNode } & Omit<ComponentProps<"section">, "title">) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className={`rounded-xl border border-slate-300 p-4 dark:border-slate-700 ${className}`} {...section}>
      <h2 id={headingId} className="text-lg font-semibold">
        {title}
      </h2>
      {intro && <p className="mt-1 text-sm text-slate-700 dark:text-slate-300">{intro}</p>}
      {children}
    </section>
  );
}
