// Test control: make the next Graph or ARM collection response carry a chosen paging link, so a
// test can prove a client never follows a nextLink to another origin (issue #14 item 1). Real
// services only ever return links to themselves; this is a fault, like those in faults.ts.

export const NEXT_LINK_TARGETS = ["graph", "arm"] as const;
export type NextLinkTarget = (typeof NEXT_LINK_TARGETS)[number];

export interface PlantedNextLink {
  target: NextLinkTarget;
  /** Sent verbatim as `@odata.nextLink` (Graph) or `nextLink` (ARM), whatever it contains. */
  nextLink: string;
  /** Collection responses still affected; undefined = until cleared. */
  remaining?: number;
}

export class NextLinkOverrides {
  private planted = new Map<NextLinkTarget, PlantedNextLink>();

  set(link: PlantedNextLink): void {
    this.planted.set(link.target, { ...link });
  }

  clear(target?: NextLinkTarget): void {
    if (target) this.planted.delete(target);
    else this.planted.clear();
  }

  list(): PlantedNextLink[] {
    return [...this.planted.values()].map((p) => ({ ...p }));
  }

  /** The planted link for one collection response of `target`, if any (consumes one use). */
  take(target: NextLinkTarget): string | undefined {
    const p = this.planted.get(target);
    if (!p) return undefined;
    if (p.remaining !== undefined && --p.remaining <= 0) this.planted.delete(target);
    return p.nextLink;
  }
}
