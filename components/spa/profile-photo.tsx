"use client";

import { useEffect, useMemo } from "react";
import { useApi } from "./use-api";

const readBlob = (response: Response) => response.blob();

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase())
    .join("");
}

/**
 * The user's Graph photo, fetched with the bearer token (an <img src> cannot send one) and shown
 * from a blob: URL; initials when the user has no photo or it cannot be loaded.
 */
export function ProfilePhoto({ name }: { name: string }) {
  const { data, error } = useApi<Blob>("/api/me/photo", readBlob);
  const url = useMemo(() => (data ? URL.createObjectURL(data.data) : null), [data]);
  useEffect(() => () => (url ? URL.revokeObjectURL(url) : undefined), [url]);

  const style = { width: 96, height: 96, borderRadius: "50%", flex: "none" } as const;
  if (url) {
    // eslint-disable-next-line @next/next/no-img-element -- a blob: URL, not an optimizable asset
    return <img src={url} alt={`Profile photo of ${name}`} width={96} height={96} style={style} />;
  }
  return (
    <span
      role="img"
      aria-label={error ? `No profile photo for ${name}` : `Loading profile photo of ${name}`}
      className={error ? "avatar" : "avatar skeleton"}
      style={style}
    >
      {error ? initials(name) : null}
    </span>
  );
}
