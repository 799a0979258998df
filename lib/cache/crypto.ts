import "server-only";
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * AES-256-GCM for cache values at rest. The 256-bit key is derived with HKDF-SHA256 from
 * TOKEN_CACHE_ENCRYPTION_KEY, so the configured secret can be any long passphrase. Each value is
 * bound to its cache key as additional authenticated data: a blob copied to another user's key
 * fails to decrypt instead of handing that user someone else's tokens.
 *
 * Format: "v1." + base64url( iv(12) | tag(16) | ciphertext )
 */
const VERSION = "v1.";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface ValueCipher {
  encrypt(plaintext: string, key: string): string;
  /** Throws when the value was not produced by this key (tampered, wrong key, moved between keys). */
  decrypt(sealed: string, key: string): string;
}

export function createValueCipher(secret: string): ValueCipher {
  if (secret.length < 32) throw new RangeError("the token cache encryption key must be at least 32 characters");
  const key = Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), "ms-identity-nextjs/token-cache", "aes-256-gcm v1", 32));
  return {
    encrypt(plaintext, aad) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(aad, "utf8"));
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return VERSION + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString("base64url");
    },
    decrypt(sealed, aad) {
      if (!sealed.startsWith(VERSION)) throw new Error("unknown cache value format");
      const raw = Buffer.from(sealed.slice(VERSION.length), "base64url");
      if (raw.length < IV_BYTES + TAG_BYTES) throw new Error("cache value too short");
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(aad, "utf8"));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
    },
  };
}
