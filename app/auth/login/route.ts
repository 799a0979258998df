import { handleLogin } from "@/lib/webauth/handlers";

/** Starts the web app's sign-in (authorization code flow with PKCE). See lib/webauth/handlers.ts. */
export function GET(request: Request): Promise<Response> {
  return handleLogin(request);
}
