export declare const PLAN_MEMORY_MB: Readonly<Record<"B1" | "B2" | "B3" | "S1" | "S2" | "P0v3" | "P1v3" | "P2v3", number>>;
export declare const SMALLEST_PLAN: "B1";
export declare const HEAP_PERCENT: number;
export declare const HEAP_MIN_MB: number;
export declare const HEAP_MAX_MB: number;
export declare const SEMI_SPACE_MB: number;
export declare function heapFlags(limitMb: number): string[];
export declare function heapLimitMb(memoryMb: number): number;
export declare function cgroupMemoryLimitMb(read?: (file: string) => string): number | undefined;
export declare class HeapConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string);
}
export declare function heapLimitFromEnvironment(
  env: Record<string, string | undefined>,
  probes?: { cgroupMemoryLimitMb?: () => number | undefined; totalMemMb?: () => number },
): { limitMb: number | null; source: string };
export declare function hasHeapFlag(execArgv: readonly string[], nodeOptions?: string): boolean;
