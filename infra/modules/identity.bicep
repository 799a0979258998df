// User-assigned managed identity for the web app. It is the app's identity for Key Vault
// references and, when the API uses the secretless credential, the subject of the federated
// identity credential on the API app registration.
@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource ID, used in the web app identity block and as keyVaultReferenceIdentity.')
output id string = identity.id

@description('Name of the identity.')
output name string = identity.name

@description('Client (application) ID: AZURE_API_MANAGED_IDENTITY_CLIENT_ID.')
output clientId string = identity.properties.clientId

@description('Principal (object) ID: role assignments, and the subject of the federated identity credential.')
output principalId string = identity.properties.principalId
