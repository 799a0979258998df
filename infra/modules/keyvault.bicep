// Key Vault (Azure RBAC authorization) holding the app's secrets. The web app reads them through
// Key Vault references (@Microsoft.KeyVault(SecretUri=...)) resolved by App Service with the
// user-assigned identity, which is granted "Key Vault Secrets User" on this vault only.
// Secrets are written through Azure Resource Manager (control plane), so the deployer needs no
// data-plane role on the vault.
@description('Key Vault name (3-24 characters, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the vault.')
param tags object = {}

@description('Principal (object) ID of the identity that reads the secrets (the web app identity).')
param readerPrincipalId string

@description('Secrets to store: { "<secret-name>": "<value>" }. Entries with an empty value are skipped.')
@secure()
param secrets object = {}

// Built-in role "Key Vault Secrets User": read secret contents.
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, readerPrincipalId, keyVaultSecretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: readerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [
  for item in filter(items(secrets), s => !empty(s.value)): {
    parent: vault
    name: item.key
    properties: {
      value: item.value
      contentType: 'text/plain'
    }
  }
]

@description('Vault name.')
output name string = vault.name

@description('Vault URI with a trailing slash, e.g. https://kv-x.vault.azure.net/.')
output uri string = vault.properties.vaultUri

@description('Vault resource ID.')
output id string = vault.id
