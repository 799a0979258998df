/** Shapes of this app's API responses as the SPA reads them (see app/api). */

export interface GraphUser {
  id: string;
  displayName?: string | null;
  userPrincipalName?: string | null;
  mail?: string | null;
  jobTitle?: string | null;
  officeLocation?: string | null;
  mobilePhone?: string | null;
  businessPhones?: string[];
}

export interface MeResponse {
  profile: GraphUser;
  /** null: no manager, or Graph would not say (then managerUnavailable says why). */
  manager: GraphUser | null;
  managerUnavailable?: { status: number; reason: string };
}

export interface Subscription {
  subscriptionId: string;
  displayName: string;
  state: string;
  tenantId: string;
}

export interface SubscriptionsResponse {
  value: Subscription[];
}

/** One person of the caller's organization (GET /api/directory). */
export interface DirectoryPerson {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  mail: string | null;
  jobTitle: string | null;
  userType: string | null;
}

export interface DirectoryResponse {
  value: DirectoryPerson[];
  pages: number;
  truncated: boolean;
}

/** GET /api/access: which views the signed-in user may open (the views enforce it themselves). */
export interface AccessResponse {
  rolesEnforced: boolean;
  views: Record<"profile" | "subscriptions" | "directory", { access: "allowed" | "role_required" | "unknown"; role?: string; authContext?: string }>;
}
