import { handleCallback } from "@/lib/webauth/handlers";

/** The web app's redirect URI: validates state, redeems the code, establishes the session. */
export function GET(request: Request): Promise<Response> {
  return handleCallback(request);
}
