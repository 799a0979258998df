export { createWebClient, redirectUri, requireWebConfig, type WebAppConfig } from "./client";
export { displayClaims, type DisplayClaims } from "./claims";
export { WebAuthError, type WebAuthErrorCode } from "./errors";
export {
  ALLOWED_PROMPTS,
  SignInRequiredError,
  acquireWebToken,
  allowedClaims,
  allowedPrompt,
  allowedScopes,
  beginLogin,
  completeLogin,
  signInPath,
  signOutUrl,
  type WebAccessToken,
} from "./flow";
export { handleFrontChannelLogout } from "./front-channel-logout";
export { fetchGraphMe, type GraphMeResult, type GraphProfile } from "./graph";
export { handleCallback, handleLogin, handleLogout, isSameOriginRequest, type HandlerOptions } from "./handlers";
export { isSecureOrigin, isValidHost, publicOrigin, type OriginOptions } from "./origin";
export { DEFAULT_RETURN_TO, sanitizeReturnTo } from "./return-to";
export { deletePartition, partitionKey, type WebPartition } from "./token-cache";
export { endWebSession, openWebSession, readWebSession, webSessionRevocations } from "./web-session";
