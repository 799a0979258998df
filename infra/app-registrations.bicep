// OPTIONAL — creates the app's Microsoft Entra app registrations with the Microsoft Graph Bicep
// extension, as an alternative to the portal steps in docs/deploy.md. It is not part of
// `azd up` (main.bicep): Entra objects are tenant-wide, need directory permissions the
// subscription deployer may not have (Application.ReadWrite.All, and for the optional consent
// grant DelegatedPermissionGrant.ReadWrite.All), and must exist before the web app is configured.
//
// NOT VERIFIED: this file was written against the documented Microsoft.Graph/*@v1.0 types but
// has never been compiled or deployed (no Bicep CLI or Azure access where it was written).
// Review `az deployment group what-if` output before the first real deployment.
//
// Deploy after `azd provision` (it needs the web app's host name and the managed identity):
//   az deployment group create -g <rg> -f infra/app-registrations.bicep \
//     -p webOrigin=https://<host> managedIdentityPrincipalId=<MANAGED_IDENTITY_PRINCIPAL_ID>
// then copy the outputs into the azd environment (ENTRA_*_CLIENT_ID, ENTRA_API_SCOPE) and run
// `azd provision` again. Client secrets are NOT created here (Graph Bicep has no secret type on
// purpose): create the web app's with `az ad app credential reset` (docs/deploy.md).
extension microsoftGraphV1

@description('Prefix of the registrations\' unique names (the client-provided key Graph Bicep uses to find them again on redeploy).')
param namePrefix string = 'ms-identity-nextjs'

@description('Prefix of the display names shown in the portal and on consent prompts.')
param displayNamePrefix string = 'MS identity Next.js'

@description('Public origin of the deployed app, e.g. https://app-abc.azurewebsites.net (no trailing slash).')
param webOrigin string

@description('Also register http://localhost:3000 redirect URIs. For development registrations only (docs/deploy.md): a production registration that accepts localhost redirects hands sign-in responses to whatever listens on the user\'s machine.')
param includeLocalhost bool = false

@description('Principal (object) ID of the web app\'s user-assigned managed identity: becomes the subject of the API\'s federated identity credential. Empty: no federated credential.')
param managedIdentityPrincipalId string = ''

@description('Create the server-rendered web app registration (/web).')
param createWebApp bool = true

@description('Create the CLI registration (device code and username/password flows).')
param createCliApp bool = false

@description('Users of other organizations may sign in: every registration gets signInAudience AzureADMultipleOrgs. The app signs in at /organizations once AZURE_ALLOWED_TENANTS lists another tenant.')
param multiTenant bool = false

@description('Deprecated alias of multiTenant (kept for existing parameter files): makes every registration multi-tenant, since the SPA must be for the API to be.')
param multiTenantApi bool = false

@description('Grant tenant-wide admin consent for the API\'s delegated Graph and ARM permissions (needs DelegatedPermissionGrant.ReadWrite.All).')
param grantAdminConsent bool = false

@description('Groups in the API\'s access tokens (groupMembershipClaims), for group-based access to views (AZURE_*_GROUP_IDS): SecurityGroup, ApplicationGroup (only groups assigned to the API: no overage), or None.')
@allowed([ 'None', 'SecurityGroup', 'ApplicationGroup', 'All' ])
param apiGroupMembershipClaims string = 'None'

var graphAppId = '00000003-0000-0000-c000-000000000000' // Microsoft Graph
var armAppId = '797f4846-ba00-4fd7-ba43-dac1f8f63013' // Windows Azure Service Management API
var tenantId = tenant().tenantId
var origins = includeLocalhost ? [webOrigin, 'http://localhost:3000'] : [webOrigin]
// Signing in at /organizations needs every registration multi-tenant (single-tenant: AADSTS50194).
var signInAudience = multiTenant || multiTenantApi ? 'AzureADMultipleOrgs' : 'AzureADMyOrg'
var apiUniqueName = '${namePrefix}-api'
// api://<tenant-id>/<name> is accepted by Entra's default app ID URI policy and, unlike
// api://<app-id>, can be written in the same declaration that creates the app.
var apiIdentifierUri = 'api://${tenantId}/${apiUniqueName}'
var accessAsUserId = guid(tenantId, apiUniqueName, 'access_as_user')
// The API's app roles for users (README, "Authorization"): each opens one view. Values are what
// tokens carry in `roles` and what the app checks.
var appRoles = [
  {
    id: guid(tenantId, apiUniqueName, 'Subscriptions.Read')
    value: 'Subscriptions.Read'
    displayName: 'Subscriptions reader'
    description: 'Can open the Subscriptions view: the Azure subscriptions the user can see, read through the API.'
    allowedMemberTypes: ['User']
    isEnabled: true
  }
  {
    id: guid(tenantId, apiUniqueName, 'Directory.Read')
    value: 'Directory.Read'
    displayName: 'Directory reader'
    description: 'Can open the Directory view: the people in the user\'s organization, read through the API.'
    allowedMemberTypes: ['User']
    isEnabled: true
  }
]
// The managed identity's token-exchange audience differs per cloud (Microsoft Learn, "Configure an
// application to trust a managed identity"); the app derives the same one from its sign-in host.
var tokenExchangeAudiences = {
  AzureCloud: 'api://AzureADTokenExchange'
  AzureUSGovernment: 'api://AzureADTokenExchangeUSGov'
  AzureChinaCloud: 'api://AzureADTokenExchangeChina'
}
var tokenExchangeAudience = contains(tokenExchangeAudiences, environment().name)
  ? tokenExchangeAudiences[environment().name]
  : tokenExchangeAudiences.AzureCloud

// Well-known resource service principals; scope ids are looked up by name, never hard-coded.
resource graphSp 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: graphAppId
}

resource armSp 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: armAppId
}

var graphScopeIds = toObject(graphSp.oauth2PermissionScopes, s => s.value, s => s.id)
var armScopeIds = toObject(armSp.oauth2PermissionScopes, s => s.value, s => s.id)

// ---- SPA: public client, auth code + PKCE -----------------------------------------------------
var spaUniqueName = '${namePrefix}-spa'
var spaDisplayName = '${displayNamePrefix} SPA'
// '/' is where sign-out returns: Entra accepts a post_logout_redirect_uri only when it is a
// registered redirect URI. '/admin-consent' is where the admin-consent link (which names the SPA:
// consent to it covers the API through knownClientApplications) returns the administrator.
var spaRedirectUris = flatten([for origin in origins: ['${origin}/redirect', '${origin}/', '${origin}/admin-consent']])

// First write: the API below names the SPA (knownClientApplications, preAuthorizedApplications).
module spaApp 'modules/spa-registration.bicep' = {
  name: 'spa-registration'
  params: {
    uniqueName: spaUniqueName
    displayName: spaDisplayName
    signInAudience: signInAudience
    redirectUris: spaRedirectUris
  }
}

resource spaSp 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: spaApp.outputs.appId
}

// ---- API: confidential client, On-Behalf-Of to Graph and ARM -----------------------------------
resource apiApp 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: apiUniqueName
  displayName: '${displayNamePrefix} API'
  signInAudience: signInAudience
  identifierUris: [apiIdentifierUri]
  // Where the tenant-wide admin-consent URL for the API itself (/{tenant}/adminconsent?client_id=<api>,
  // shown when the SPA's consent cannot cover the API) returns the administrator: Entra answers
  // AADSTS500113 for an app without a reply URL.
  web: {
    redirectUris: [for origin in origins: '${origin}/admin-consent']
  }
  api: {
    requestedAccessTokenVersion: 2 // the API accepts v2.0 tokens only
    // Combined consent: the SPA asking for api://<api>/.default consents, in one prompt, to the
    // API's own Graph and ARM permissions below (what it calls On-Behalf-Of). Pre-authorization
    // alone covers access_as_user only.
    knownClientApplications: [spaApp.outputs.appId]
    oauth2PermissionScopes: [
      {
        id: accessAsUserId
        value: 'access_as_user'
        type: 'User'
        isEnabled: true
        adminConsentDisplayName: 'Access the API as the signed-in user'
        adminConsentDescription: 'Lets the app call the API, and the API call Microsoft Graph and Azure Resource Manager, on behalf of the signed-in user.'
        userConsentDisplayName: 'Access the API as you'
        userConsentDescription: 'Lets the app call the API on your behalf.'
      }
    ]
    // The SPA gets a token for access_as_user without any consent prompt (that scope only); so do
    // the web app (it renders /web/subscriptions and /web/directory with a token for the API) and
    // the CLI, this app's own clients.
    preAuthorizedApplications: concat(
      [
        {
          appId: spaApp.outputs.appId
          delegatedPermissionIds: [accessAsUserId]
        }
      ],
      createWebApp ? [{ appId: webApp.appId, delegatedPermissionIds: [accessAsUserId] }] : [],
      createCliApp ? [{ appId: cliApp.appId, delegatedPermissionIds: [accessAsUserId] }] : []
    )
  }
  appRoles: appRoles
  groupMembershipClaims: apiGroupMembershipClaims
  // xms_cc in the API's access tokens: the client capabilities (cp1) the SPA declares, which tell
  // the API it may pass continuous access evaluation challenges on (AZURE_API_CLIENT_CAPABILITIES).
  // acrs: the authentication contexts the sign-in already satisfies come in every token for the API
  // ("opportunistic evaluation"), so a renewed token keeps a view's step-up (AZURE_*_AUTH_CONTEXT).
  optionalClaims: {
    accessToken: [
      { name: 'xms_cc' }
      { name: 'acrs' }
    ]
  }
  requiredResourceAccess: [
    {
      resourceAppId: graphAppId
      resourceAccess: [
        { id: graphScopeIds['User.Read'], type: 'Scope' }
        { id: graphScopeIds['User.ReadBasic.All'], type: 'Scope' }
      ]
    }
    {
      resourceAppId: armAppId
      resourceAccess: [
        { id: armScopeIds.user_impersonation, type: 'Scope' }
      ]
    }
  ]

  // Secretless: the API's client assertion is a token of the web app's managed identity.
  resource managedIdentityCredential 'federatedIdentityCredentials@v1.0' = if (!empty(managedIdentityPrincipalId)) {
    name: '${apiApp.uniqueName}/app-service-managed-identity'
    description: 'App Service user-assigned managed identity of the deployed web app'
    issuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
    subject: managedIdentityPrincipalId
    audiences: [tokenExchangeAudience]
  }
}

resource apiSp 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: apiApp.appId
  // Users without an app role still sign in and see their profile; each view checks its own role
  // (README, "Authorization"). True would refuse them every token for the API (AADSTS50105).
  appRoleAssignmentRequired: false
}

// Second write of the SPA: the API among its configured permissions. Combined consent asks for
// api://<api>/.default, and Entra refuses .default for a resource the client does not list
// (AADSTS650057: "The client has requested access to a resource which is not listed in the
// requested permissions in the client's application registration").
module spaApiPermission 'modules/spa-registration.bicep' = {
  name: 'spa-api-permission'
  params: {
    uniqueName: spaUniqueName
    displayName: spaDisplayName
    signInAudience: signInAudience
    redirectUris: spaRedirectUris
    requiredResourceAccess: [
      {
        resourceAppId: apiApp.appId
        resourceAccess: [
          { id: accessAsUserId, type: 'Scope' }
        ]
      }
      // Sign-in itself: an administrator's consent to the SPA then covers it where users may not consent.
      {
        resourceAppId: graphAppId
        resourceAccess: [
          { id: graphScopeIds.openid, type: 'Scope' }
          { id: graphScopeIds.profile, type: 'Scope' }
          { id: graphScopeIds.offline_access, type: 'Scope' }
        ]
      }
    ]
  }
}

resource apiGraphConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = if (grantAdminConsent) {
  clientId: apiSp.id
  consentType: 'AllPrincipals'
  resourceId: graphSp.id
  scope: 'User.Read User.ReadBasic.All'
}

resource apiArmConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = if (grantAdminConsent) {
  clientId: apiSp.id
  consentType: 'AllPrincipals'
  resourceId: armSp.id
  scope: 'user_impersonation'
}

// ---- Server-rendered web app: confidential client, auth code --------------------------------
resource webApp 'Microsoft.Graph/applications@v1.0' = if (createWebApp) {
  uniqueName: '${namePrefix}-web'
  displayName: '${displayNamePrefix} Web'
  signInAudience: signInAudience
  web: {
    // '/web' is where sign-out returns (a post-logout redirect URI must be a redirect URI).
    redirectUris: flatten([for origin in origins: ['${origin}/auth/callback', '${origin}/web']])
    // Front-channel logout: Entra loads it (with ?sid=) when the user signs out of any app of the session.
    logoutUrl: '${webOrigin}/auth/frontchannel-logout'
  }
  // ID-token optional claims (Microsoft Learn, "Optional claims reference"): sid names the Entra
  // session the front-channel logout URL is called for (without it, the app logs that it cannot
  // end such sessions); login_hint is what sign-out sends as logout_hint (no account picker).
  optionalClaims: {
    idToken: [
      { name: 'sid' }
      { name: 'login_hint' }
    ]
  }
  requiredResourceAccess: [
    {
      resourceAppId: graphAppId
      resourceAccess: [
        { id: graphScopeIds['User.Read'], type: 'Scope' }
      ]
    }
  ]
}

resource webSp 'Microsoft.Graph/servicePrincipals@v1.0' = if (createWebApp) {
  appId: webApp.appId
}

// ---- CLI: public client, device code / username-password -------------------------------------
resource cliApp 'Microsoft.Graph/applications@v1.0' = if (createCliApp) {
  uniqueName: '${namePrefix}-cli'
  displayName: '${displayNamePrefix} CLI'
  signInAudience: signInAudience
  isFallbackPublicClient: true
  publicClient: {
    redirectUris: ['http://localhost']
  }
  requiredResourceAccess: [
    {
      resourceAppId: graphAppId
      resourceAccess: [
        { id: graphScopeIds['User.Read'], type: 'Scope' }
        { id: graphScopeIds['User.ReadBasic.All'], type: 'Scope' }
      ]
    }
  ]
}

resource cliSp 'Microsoft.Graph/servicePrincipals@v1.0' = if (createCliApp) {
  appId: cliApp.appId
}

// Values for `azd env set` (docs/deploy.md).
output ENTRA_SPA_CLIENT_ID string = spaApiPermission.outputs.appId
output ENTRA_API_CLIENT_ID string = apiApp.appId
output ENTRA_API_SCOPE string = '${apiIdentifierUri}/access_as_user'
output ENTRA_WEB_CLIENT_ID string = createWebApp ? webApp.appId : ''
output ENTRA_CLI_CLIENT_ID string = createCliApp ? cliApp.appId : ''
output ENTRA_TENANT_ID string = tenantId
