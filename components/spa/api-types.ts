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
