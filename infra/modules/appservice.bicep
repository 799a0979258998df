// Linux App Service plan and the web app that runs the Next.js standalone server.
//
// What is deployed to the app: the CONTENTS of .next/standalone (server.js at the root, its traced
// node_modules, .next/static and public/ copied in by scripts/copy-standalone-assets.mjs). No
// build runs on App Service (SCM_DO_BUILD_DURING_DEPLOYMENT=false); the startup command runs
// server.js, which listens on PORT (set by App Service) and on HOSTNAME (0.0.0.0 here, because
// the container's own HOSTNAME variable would otherwise be used as the bind address).
@description('App Service plan name.')
param planName string

@description('Web app name (becomes <name>.azurewebsites.net).')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the plan and the app.')
param tags object = {}

@description('Tag that tells the Azure Developer CLI which azure.yaml service deploys here.')
param azdServiceName string = 'web'

@description('App Service plan SKU. B1 is the smallest with Always On; P0v3 adds zone options and more memory.')
param skuName string = 'B1'

@description('Instances of the plan (scale out); main.bicep allows more than one only with Redis.')
@minValue(1)
param instanceCount int = 1

@description('Runtime stack: NODE|22-lts or NODE|24-lts.')
param linuxFxVersion string = 'NODE|22-lts'

@description('Startup command run in the deployed folder (/home/site/wwwroot).')
param startupCommand string = 'HOSTNAME=0.0.0.0 node server.js'

@description('Health check path: answered without authentication by app/api/health.')
param healthCheckPath string = '/api/health'

@description('Resource ID of the user-assigned identity (also used to resolve Key Vault references).')
param identityId string

@description('App settings as [{ name, value }]; values are plain text or Key Vault references, never secrets.')
param appSettings array = []

@description('Principal (object) ID that may deploy code (the GitHub Actions identity); empty for none.')
param deployPrincipalId string = ''

@description('Type of deployPrincipalId.')
@allowed([
  'ServicePrincipal'
  'User'
  'Group'
])
param deployPrincipalType string = 'ServicePrincipal'

// Free/Shared tiers have no Always On; everything this template offers supports it.
var alwaysOn = !contains([
  'F1'
  'D1'
], skuName)

// Built-in role "Website Contributor": manage and deploy web apps, not plans.
var websiteContributorRoleId = 'de139f84-1756-47ae-9be6-808fbbe84772'

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'linux'
  sku: {
    name: skuName
    capacity: instanceCount
  }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': azdServiceName })
  kind: 'app,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    publicNetworkAccess: 'Enabled'
    // Key Vault references are resolved with the user-assigned identity (the default would be a
    // system-assigned identity, which this app does not have).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      linuxFxVersion: linuxFxVersion
      appCommandLine: startupCommand
      alwaysOn: alwaysOn
      healthCheckPath: healthCheckPath
      http20Enabled: true
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      use32BitWorkerProcess: false
      appSettings: appSettings
    }
  }
}

// No publish-profile (basic auth) deployments: CI signs in with OIDC and deploys with an Entra
// token; azd deploys with the developer's Entra sign-in.
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource deployer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployPrincipalId)) {
  name: guid(site.id, deployPrincipalId, websiteContributorRoleId)
  scope: site
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', websiteContributorRoleId)
    principalId: deployPrincipalId
    principalType: deployPrincipalType
  }
}

@description('Web app name.')
output name string = site.name

@description('Default host name, e.g. app-abc.azurewebsites.net.')
output defaultHostName string = site.properties.defaultHostName

@description('HTTPS URL of the app.')
output uri string = 'https://${site.properties.defaultHostName}'
