// Stand-in for the `server-only` marker package under Jest (plain Node, no RSC bundler).
export {};
