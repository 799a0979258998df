// Azure infrastructure for the Microsoft identity platform reference app (Next.js standalone on
// Linux App Service). Deployed by the Azure Developer CLI (`azd provision` / `azd up`) with
// main.parameters.json; every resource lands in one resource group named rg-<environmentName>.
//
//   user-assigned identity ──► web app identity, Key Vault reference identity, and (secretless
//                              option) the subject of the API app registration's federated credential
//   Key Vault (RBAC)       ──► secrets; the identity has "Key Vault Secrets User" on it
//   App Service plan + app ──► NODE|22-lts, HTTPS only, FTPS off, TLS 1.2, Always On, HTTP/2,
//                              health check /api/health, app settings from the parameters below
//   Redis (optional)       ──► REDIS_URL as a Key Vault secret
//   Log Analytics + Application Insights (optional)
//
// App registrations are NOT created here (they live in Microsoft Entra ID, not in a resource
// group): see docs/deploy.md, or the optional infra/app-registrations.bicep.
targetScope = 'subscription'

// ---- Environment -----------------------------------------------------------------------------
@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds unique resource names.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('Resource group name; default rg-<environmentName>.')
param resourceGroupName string = ''

// ---- Hosting ---------------------------------------------------------------------------------
@description('App Service plan SKU.')
@allowed([
  'B1'
  'B2'
  'B3'
  'S1'
  'S2'
  'P0v3'
  'P1v3'
  'P2v3'
])
param appServicePlanSku string = 'B1'

@description('Instances of the App Service plan (scale out). More than one needs deployRedis: the instances share token caches and sign-out records through Redis (docs/deploy.md, "Scale out").')
@minValue(1)
@maxValue(30)
param appServiceInstanceCount int = 1

@description('V8 heap limit of the app (--max-old-space-size), MB. 0: derived from the plan\'s memory (docs/deploy.md, "Memory").')
@minValue(0)
param nodeHeapLimitMb int = 0

@description('Node.js LTS runtime of the web app.')
@allowed([
  'NODE|22-lts'
  'NODE|24-lts'
])
param nodeRuntime string = 'NODE|22-lts'

@description('Principal (object) ID of the CI identity that deploys code (GitHub Actions OIDC); granted Website Contributor on the web app. Empty: none.')
param deployPrincipalId string = ''

// ---- Microsoft identity platform (the app's lib/config reads these; see .env.local.example) ----
@description('AZURE_TENANT_ID: the tenant of the app registrations. Default: the subscription\'s tenant.')
param entraTenantId string = ''

@description('AZURE_AUTHORITY_HOST. Empty: the sign-in host of the cloud deployed to (environment().authentication.loginEndpoint: login.microsoftonline.com, login.microsoftonline.us, login.chinacloudapi.cn), from which the app derives Graph, ARM, their scopes and the token-exchange audience.')
param authorityHost string = ''

@description('AZURE_SPA_CLIENT_ID: the single-page app registration.')
param spaClientId string

@description('AZURE_API_CLIENT_ID: the middle-tier API registration.')
param apiClientId string

@description('AZURE_API_SCOPE. Empty: api://<apiClientId>/access_as_user.')
param apiScope string = ''

@description('How the API proves its identity for On-Behalf-Of: a federated credential backed by the managed identity (no secret), a client secret, or a certificate file.')
@allowed([
  'managedIdentity'
  'clientSecret'
  'certificate'
])
param apiCredentialType string = 'managedIdentity'

@secure()
@description('AZURE_API_CLIENT_SECRET, only with apiCredentialType=clientSecret. Stored in Key Vault.')
param apiClientSecret string = ''

@description('AZURE_API_CERTIFICATE_PATH, only with apiCredentialType=certificate: path of a PEM (certificate + unencrypted key) inside the app\'s file system, e.g. on a mounted Azure Files share.')
param apiCertificatePath string = ''

@description('AZURE_ALLOWED_TENANTS: comma-separated tenant GUIDs for a multi-tenant API. Empty: single tenant.')
param allowedTenants string = ''

@description('AZURE_ALLOWED_CLIENT_IDS: comma-separated client ids of the apps allowed to call the API besides the SPA (the token\'s azp). Empty: the SPA (and the CLI when AZURE_CLI_CLIENT_ID is set).')
param allowedClientIds string = ''

@description('AZURE_API_CLIENT_CAPABILITIES, e.g. cp1 for Continuous Access Evaluation (the API registration then needs the xms_cc optional claim).')
param apiClientCapabilities string = ''

@description('AZURE_TOKEN_EXCHANGE_AUDIENCE: audience of the managed identity token used as the API\'s federated credential. Empty: derived from the sign-in host (api://AzureADTokenExchange, ...USGov, ...China).')
param tokenExchangeAudience string = ''

// ---- Authorization (README, "Authorization") ------------------------------------------------
@description('AZURE_APP_ROLES_ENFORCED: the Subscriptions and Directory views need the API\'s app roles (Subscriptions.Read, Directory.Read) or a configured group. false: every signed-in user of an allowed tenant uses every view. Production requires the setting.')
@allowed([ 'true', 'false' ])
param appRolesEnforced string = 'true'

@description('AZURE_SUBSCRIPTIONS_GROUP_IDS: security group object ids whose members may use the Subscriptions view without the role. Empty: none.')
param subscriptionsGroupIds string = ''

@description('AZURE_DIRECTORY_GROUP_IDS: security group object ids whose members may use the Directory view without the role. Empty: none.')
param directoryGroupIds string = ''

@description('AZURE_SUBSCRIPTIONS_AUTH_CONTEXT: Conditional Access authentication context (c1 ... c99) the Subscriptions view asks for (step-up). Empty: none.')
param subscriptionsAuthContext string = ''

@description('AZURE_DIRECTORY_AUTH_CONTEXT: authentication context the Directory view asks for. Empty: none.')
param directoryAuthContext string = ''

@description('AZURE_WEB_CLIENT_ID: the server-rendered web app registration. Empty disables /web.')
param webClientId string = ''

@secure()
@description('AZURE_WEB_CLIENT_SECRET. Stored in Key Vault.')
param webClientSecret string = ''

@secure()
@minLength(32)
@description('SESSION_PASSWORD: iron-session cookie password, 32+ characters (openssl rand -base64 32). Stored in Key Vault.')
param sessionPassword string

@description('SESSION_MAX_AGE_SECONDS. Empty: the app default (8 hours).')
param sessionMaxAgeSeconds string = ''

@description('HEALTH_DETAILS: true adds the individual checks to /api/health (anonymous callers see them too). Empty: status only.')
@allowed([ '', 'true', 'false' ])
param healthDetails string = ''

@description('APP_BASE_URL: the public origin, e.g. a custom domain (https://www.contoso.com). Empty: the site\'s own https://<name>.<App Service domain of the cloud> (azurewebsites.net, azurewebsites.us, chinacloudsites.cn). Required in production: the app never derives it from request headers.')
param appBaseUrl string = ''

@description('TRUST_FORWARDED_HEADERS: believe X-Forwarded-Proto/Host (only used when APP_BASE_URL is unset, which production does not allow).')
@allowed([ 'true', 'false' ])
param trustForwardedHeaders string = 'false'

// ---- Downstream APIs -------------------------------------------------------------------------
@description('GRAPH_BASE_URL. Empty: the sign-in cloud\'s Graph (https://graph.microsoft.com/v1.0 in the public cloud).')
param graphBaseUrl string = ''

@description('GRAPH_SCOPES. Empty: User.Read of the configured Graph (https://graph.microsoft.us/User.Read for graph.microsoft.us).')
param graphScopes string = ''

@description('ARM_BASE_URL. Empty: the sign-in cloud\'s ARM (https://management.azure.com in the public cloud).')
param armBaseUrl string = ''

@description('ARM_SCOPES. Empty: user_impersonation of the configured ARM.')
param armScopes string = ''

@description('DOWNSTREAM_TIMEOUT_MS. Empty: the app default.')
param downstreamTimeoutMs string = ''

@description('DOWNSTREAM_MAX_RETRIES. Empty: the app default.')
param downstreamMaxRetries string = ''

@description('DOWNSTREAM_MAX_RETRY_AFTER_SECONDS. Empty: the app default.')
param downstreamMaxRetryAfterSeconds string = ''

// ---- Token cache -----------------------------------------------------------------------------
@description('TOKEN_CACHE_MAX_USERS (per instance). Empty: the app default.')
param tokenCacheMaxUsers string = ''

@description('Deploy Redis and share the token cache between instances (REDIS_URL).')
param deployRedis bool = false

@description('Which Redis: Azure Managed Redis (successor) or Azure Cache for Redis (retiring).')
@allowed([
  'managedRedis'
  'cacheForRedis'
])
param redisService string = 'managedRedis'

@secure()
@description('TOKEN_CACHE_ENCRYPTION_KEY, 32+ characters; required with deployRedis. Stored in Key Vault.')
param tokenCacheEncryptionKey string = ''

// ---- Monitoring ------------------------------------------------------------------------------
@description('Deploy Log Analytics + Application Insights and turn on App Service\'s Node.js auto-instrumentation.')
param deployMonitoring bool = true

// ---- Names -----------------------------------------------------------------------------------
var tags = {
  'azd-env-name': environmentName
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var names = {
  resourceGroup: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  identity: 'id-${resourceToken}'
  keyVault: 'kv-${resourceToken}'
  plan: 'plan-${resourceToken}'
  site: 'app-${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  redis: 'redis-${resourceToken}'
}

// The app registrations usually live in the subscription's tenant. Graph and ARM URLs are left
// to the app's defaults unless set: the app derives Graph/ARM endpoints, scopes and the
// token-exchange audience from the authority host (lib/config/clouds.ts, .env.local.example).
var tenantIdValue = !empty(entraTenantId) ? entraTenantId : tenant().tenantId

// The cloud this deployment goes to decides the defaults that name hosts: the sign-in host (the
// app derives Graph, ARM, scopes and the token-exchange audience from it, so they all agree with
// the federated credential's issuer and audience) and the site's default domain. environment()
// has no App Service suffix, hence the table (Microsoft Learn, "Compare Azure Government and
// global Azure" and "Azure China developer guide"). An unknown cloud gets no default APP_BASE_URL:
// the app then stops at startup naming APP_BASE_URL instead of guessing a public-cloud host.
var loginEndpoint = environment().authentication.loginEndpoint
var cloudAuthorityHost = endsWith(loginEndpoint, '/') ? substring(loginEndpoint, 0, length(loginEndpoint) - 1) : loginEndpoint
var appServiceDomains = {
  AzureCloud: 'azurewebsites.net'
  AzureUSGovernment: 'azurewebsites.us'
  AzureChinaCloud: 'chinacloudsites.cn'
}
var siteDefaultOrigin = contains(appServiceDomains, environment().name) ? 'https://${names.site}.${appServiceDomains[environment().name]}' : ''

// Key Vault secret names (the vault holds nothing else).
var secretNames = {
  sessionPassword: 'session-password'
  apiClientSecret: 'api-client-secret'
  webClientSecret: 'web-client-secret'
  tokenCacheEncryptionKey: 'token-cache-encryption-key'
}
var hasWebApp = !empty(webClientId)
var secretValues = union(
  { '${secretNames.sessionPassword}': sessionPassword },
  apiCredentialType == 'clientSecret' ? { '${secretNames.apiClientSecret}': apiClientSecret } : {},
  hasWebApp ? { '${secretNames.webClientSecret}': webClientSecret } : {},
  deployRedis ? { '${secretNames.tokenCacheEncryptionKey}': tokenCacheEncryptionKey } : {}
)

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    readerPrincipalId: identity.outputs.principalId
    secrets: secretValues
  }
}

module redis 'modules/redis.bicep' = if (deployRedis) {
  name: 'redis'
  scope: rg
  params: {
    service: redisService
    name: names.redis
    location: location
    tags: tags
    keyVaultName: keyVault.outputs.name
  }
}

module monitoring 'modules/monitoring.bicep' = if (deployMonitoring) {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
  }
}

// '@Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/<name>)': versionless,
// so a rotated secret is picked up (App Service re-reads references within 24 hours, or on restart).
// The heap-limit rule of scripts/lib/heap.mjs (PLAN_MEMORY_MB, HEAP_PERCENT, HEAP_MIN_MB,
// HEAP_MAX_MB, SEMI_SPACE_MB; scripts/lib/heap.test.ts keeps the two in step): V8 sizes its heap from the machine,
// not from the plan, and lets garbage grow to that size under steady load.
var planMemoryMb = {
  B1: 1792
  B2: 3584
  B3: 7168
  S1: 1792
  S2: 3584
  P0v3: 4096
  P1v3: 8192
  P2v3: 16384
}
var heapPercent = 10
var semiSpaceMb = 32
var derivedHeapLimitMb = min(2048, max(128, planMemoryMb[appServicePlanSku] * heapPercent / 100 / 16 * 16))
var heapLimitMb = nodeHeapLimitMb > 0 ? nodeHeapLimitMb : derivedHeapLimitMb

var kvRefPrefix = '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/'

// Every variable lib/config reads, from .env.local.example. Empty values are dropped: the app
// treats a missing variable as "use the default", and an empty app setting only adds noise.
var appSettingsAll = [
  { name: 'AZURE_TENANT_ID', value: tenantIdValue }
  { name: 'AZURE_AUTHORITY_HOST', value: !empty(authorityHost) ? authorityHost : cloudAuthorityHost }
  { name: 'AZURE_SPA_CLIENT_ID', value: spaClientId }
  { name: 'AZURE_API_CLIENT_ID', value: apiClientId }
  { name: 'AZURE_API_SCOPE', value: apiScope }
  // Exactly one API credential: lib/config refuses two at once.
  {
    name: 'AZURE_API_MANAGED_IDENTITY_CLIENT_ID'
    value: apiCredentialType == 'managedIdentity' ? identity.outputs.clientId : ''
  }
  {
    name: 'AZURE_API_CLIENT_SECRET'
    value: apiCredentialType == 'clientSecret' ? '${kvRefPrefix}${secretNames.apiClientSecret})' : ''
  }
  { name: 'AZURE_API_CERTIFICATE_PATH', value: apiCredentialType == 'certificate' ? apiCertificatePath : '' }
  { name: 'AZURE_TOKEN_EXCHANGE_AUDIENCE', value: tokenExchangeAudience }
  { name: 'AZURE_ALLOWED_TENANTS', value: allowedTenants }
  { name: 'AZURE_ALLOWED_CLIENT_IDS', value: allowedClientIds }
  { name: 'AZURE_API_CLIENT_CAPABILITIES', value: apiClientCapabilities }
  { name: 'AZURE_APP_ROLES_ENFORCED', value: appRolesEnforced }
  { name: 'AZURE_SUBSCRIPTIONS_GROUP_IDS', value: subscriptionsGroupIds }
  { name: 'AZURE_DIRECTORY_GROUP_IDS', value: directoryGroupIds }
  { name: 'AZURE_SUBSCRIPTIONS_AUTH_CONTEXT', value: subscriptionsAuthContext }
  { name: 'AZURE_DIRECTORY_AUTH_CONTEXT', value: directoryAuthContext }
  { name: 'AZURE_WEB_CLIENT_ID', value: webClientId }
  { name: 'AZURE_WEB_CLIENT_SECRET', value: hasWebApp ? '${kvRefPrefix}${secretNames.webClientSecret})' : '' }
  { name: 'SESSION_PASSWORD', value: '${kvRefPrefix}${secretNames.sessionPassword})' }
  { name: 'SESSION_MAX_AGE_SECONDS', value: sessionMaxAgeSeconds }
  { name: 'APP_BASE_URL', value: !empty(appBaseUrl) ? appBaseUrl : siteDefaultOrigin }
  { name: 'TRUST_FORWARDED_HEADERS', value: trustForwardedHeaders }
  { name: 'GRAPH_BASE_URL', value: graphBaseUrl }
  { name: 'GRAPH_SCOPES', value: graphScopes }
  { name: 'ARM_BASE_URL', value: armBaseUrl }
  { name: 'ARM_SCOPES', value: armScopes }
  { name: 'DOWNSTREAM_TIMEOUT_MS', value: downstreamTimeoutMs }
  { name: 'DOWNSTREAM_MAX_RETRIES', value: downstreamMaxRetries }
  { name: 'DOWNSTREAM_MAX_RETRY_AFTER_SECONDS', value: downstreamMaxRetryAfterSeconds }
  { name: 'TOKEN_CACHE_MAX_USERS', value: tokenCacheMaxUsers }
  { name: 'HEALTH_DETAILS', value: healthDetails }
  { name: 'REDIS_URL', value: deployRedis ? '${kvRefPrefix}${redis.outputs.urlSecretName})' : '' }
  {
    name: 'TOKEN_CACHE_ENCRYPTION_KEY'
    value: deployRedis ? '${kvRefPrefix}${secretNames.tokenCacheEncryptionKey})' : ''
  }
  // Read by node itself when App Service starts `node server.js`.
  { name: 'NODE_OPTIONS', value: '--max-old-space-size=${heapLimitMb} --max-semi-space-size=${semiSpaceMb}' }
  // Platform settings (read by App Service, not by the app).
  { name: 'SCM_DO_BUILD_DURING_DEPLOYMENT', value: 'false' }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: deployMonitoring ? monitoring.outputs.applicationInsightsConnectionString : ''
  }
  { name: 'ApplicationInsightsAgent_EXTENSION_VERSION', value: deployMonitoring ? '~3' : '' }
]

// Without Redis each instance keeps its own sign-out records and token caches: a cookie signed out
// on one instance still works on the others (docs/deploy.md, "Scale out"). Refused here at
// deployment, and by `npm run validate:infra` before it.
var instanceCount = appServiceInstanceCount > 1 && !deployRedis ? fail('appServiceInstanceCount (APP_SERVICE_INSTANCE_COUNT) > 1 needs deployRedis (DEPLOY_REDIS) = true: without Redis each instance keeps its own sign-out records and token caches (docs/deploy.md, "Scale out").') : appServiceInstanceCount

module web 'modules/appservice.bicep' = {
  name: 'web'
  scope: rg
  params: {
    planName: names.plan
    name: names.site
    location: location
    tags: tags
    skuName: appServicePlanSku
    instanceCount: instanceCount
    linuxFxVersion: nodeRuntime
    startupCommand: 'HOSTNAME=0.0.0.0 node server.js'
    healthCheckPath: '/api/health'
    identityId: identity.outputs.id
    appSettings: filter(appSettingsAll, s => !empty(s.value))
    deployPrincipalId: deployPrincipalId
  }
}

// ---- Outputs (azd stores them in .azure/<env>/.env) -------------------------------------------
output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_WEBAPP_NAME string = web.outputs.name
output WEB_APP_HOSTNAME string = web.outputs.defaultHostName
output WEB_APP_URL string = web.outputs.uri

// Register these on the app registrations (docs/deploy.md, "Addresses to register": all of them).
output SPA_REDIRECT_URI string = '${web.outputs.uri}/redirect'
output WEB_REDIRECT_URI string = '${web.outputs.uri}/auth/callback'
output SPA_REDIRECT_URIS string = '${web.outputs.uri}/redirect ${web.outputs.uri}/ ${web.outputs.uri}/admin-consent'
output WEB_REDIRECT_URIS string = '${web.outputs.uri}/auth/callback ${web.outputs.uri}/web'
output WEB_FRONT_CHANNEL_LOGOUT_URL string = '${web.outputs.uri}/auth/frontchannel-logout'
output API_REDIRECT_URI string = '${web.outputs.uri}/admin-consent'

// The federated identity credential to add to the API app registration (secretless option).
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
// The managed identity's tokens are issued by its own tenant (the subscription's).
output FEDERATED_CREDENTIAL_ISSUER string = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
output FEDERATED_CREDENTIAL_SUBJECT string = identity.outputs.principalId
// Per cloud (Microsoft Learn, "Configure an application to trust a managed identity"); the app
// asks for the same one (derived from AZURE_AUTHORITY_HOST, or AZURE_TOKEN_EXCHANGE_AUDIENCE).
var tokenExchangeAudiences = {
  AzureCloud: 'api://AzureADTokenExchange'
  AzureUSGovernment: 'api://AzureADTokenExchangeUSGov'
  AzureChinaCloud: 'api://AzureADTokenExchangeChina'
}
output FEDERATED_CREDENTIAL_AUDIENCE string = !empty(tokenExchangeAudience)
  ? tokenExchangeAudience
  : (contains(tokenExchangeAudiences, environment().name) ? tokenExchangeAudiences[environment().name] : tokenExchangeAudiences.AzureCloud)

output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output REDIS_HOST_NAME string = deployRedis ? redis.outputs.hostName : ''
