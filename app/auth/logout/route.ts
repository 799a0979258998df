import { handleLogout } from "@/lib/webauth/handlers";

/** Signs out of the web app (POST only, same-origin), then at the identity provider. */
export function POST(request: Request): Promise<Response> {
  return handleLogout(request);
}
