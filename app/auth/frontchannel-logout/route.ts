import { handleFrontChannelLogout } from "@/lib/webauth/front-channel-logout";

/** The web app's front-channel logout URL: the identity provider ends the web sessions of one of its sessions. */
export function GET(request: Request): Promise<Response> {
  return handleFrontChannelLogout(request);
}
