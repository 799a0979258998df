// The single-page app's registration. A module, so app-registrations.bicep can write it twice in
// one deployment: first without API permissions (the API's knownClientApplications and
// preAuthorizedApplications need the SPA's appId), then, once the API exists, with the API in
// requiredResourceAccess (which needs the API's appId). Graph Bicep upserts by uniqueName.
extension microsoftGraphV1

@description('Client-provided key Graph Bicep finds the registration by.')
param uniqueName string

@description('Display name shown in the portal and on consent prompts.')
param displayName string

@description('AzureADMyOrg or AzureADMultipleOrgs.')
param signInAudience string

@description('Redirect URIs of the Single-page application platform.')
param redirectUris array

@description('Configured permissions (requiredResourceAccess): resources whose .default the SPA may ask for.')
param requiredResourceAccess array = []

resource spaApp 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: signInAudience
  spa: {
    redirectUris: redirectUris
  }
  requiredResourceAccess: requiredResourceAccess
  // login_hint in the ID token: msal-browser's logoutRedirect sends it as logout_hint, so Entra signs
  // the account out without asking "Pick an account" (Microsoft Learn, "Send a sign-out request").
  optionalClaims: {
    idToken: [
      { name: 'login_hint' }
    ]
  }
}

@description('Application (client) ID of the SPA.')
output appId string = spaApp.appId
