// Log Analytics workspace and a workspace-based Application Insights component. App Service
// forwards its platform logs nowhere by default; the connection string lets App Service's
// Node.js auto-instrumentation send requests, dependencies and console output here.
@description('Log Analytics workspace name.')
param logAnalyticsName string

@description('Application Insights component name.')
param applicationInsightsName string

@description('Azure region.')
param location string

@description('Tags applied to both resources.')
param tags object = {}

@description('Days to keep logs (30 is the free retention).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
  }
}

@description('Connection string for APPLICATIONINSIGHTS_CONNECTION_STRING (not a secret: it only allows sending telemetry).')
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString

@description('Log Analytics workspace resource ID.')
output logAnalyticsWorkspaceId string = logAnalytics.id
