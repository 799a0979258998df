export * from "./api-error";
export * from "./problem";
export { bearerChallengeHeader, toApiError, toProblemDetails, toProblemResponse } from "./response";
export {
  claimsFromChallenge,
  decodeBase64Text,
  encodeBase64Text,
  findChallenge,
  formatChallenge,
  formatWwwAuthenticate,
  parseWwwAuthenticate,
  type Challenge,
} from "./www-authenticate";
