// Optional shared token cache. Two services, one choice:
//   - 'managedRedis'  Azure Managed Redis (Microsoft.Cache/redisEnterprise), the successor
//                     service; TLS on port 10000; EnterpriseCluster policy so the app's single
//                     (non-cluster) ioredis client sees one endpoint.
//   - 'cacheForRedis' Azure Cache for Redis (Microsoft.Cache/redis), being retired by Microsoft;
//                     TLS-only on port 6380 (the non-TLS port 6379 is disabled).
// Either way the connection URL (with the access key, percent-encoded) is written straight into
// Key Vault as the secret 'redis-url'; it never appears in an app setting or a deployment output.
@description('Which Redis service to deploy.')
@allowed([
  'managedRedis'
  'cacheForRedis'
])
param service string = 'managedRedis'

@description('Cache name.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the cache.')
param tags object = {}

@description('Key Vault that receives the redis-url secret.')
param keyVaultName string

@description('Azure Managed Redis SKU (Balanced_B0 is the smallest).')
param managedRedisSku string = 'Balanced_B0'

@description('Azure Managed Redis: replicate data for availability (costs double).')
param managedRedisHighAvailability bool = false

@description('Azure Cache for Redis SKU: Basic, Standard or Premium.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param cacheForRedisSku string = 'Basic'

@description('Azure Cache for Redis capacity (C0 = 250 MB; family P for Premium).')
@minValue(0)
@maxValue(6)
param cacheForRedisCapacity int = 0

var useManaged = service == 'managedRedis'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// ---- Azure Managed Redis ---------------------------------------------------------------------
resource managedCluster 'Microsoft.Cache/redisEnterprise@2025-07-01' = if (useManaged) {
  name: name
  location: location
  tags: tags
  sku: {
    name: managedRedisSku
  }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: managedRedisHighAvailability ? 'Enabled' : 'Disabled'
    publicNetworkAccess: 'Enabled'
  }
}

resource managedDatabase 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = if (useManaged) {
  parent: managedCluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: 'EnterpriseCluster'
    evictionPolicy: 'VolatileLRU'
    accessKeysAuthentication: 'Enabled'
  }
}

// ---- Azure Cache for Redis -------------------------------------------------------------------
resource cache 'Microsoft.Cache/redis@2024-11-01' = if (!useManaged) {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: cacheForRedisSku
      family: cacheForRedisSku == 'Premium' ? 'P' : 'C'
      capacity: cacheForRedisCapacity
    }
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    redisVersion: '6'
  }
}

// ---- The connection URL, in Key Vault -------------------------------------------------------
// One secret, two sources. ARM's if() evaluates only the branch it takes, so the listKeys() of
// the service that was not deployed is never called. The key is base64 ('+', '/', '='), so it is
// percent-encoded for the URL's userinfo; ioredis decodes it.
resource redisUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'redis-url'
  properties: {
    value: useManaged
      ? 'rediss://:${uriComponent(managedDatabase.listKeys().primaryKey)}@${managedCluster.properties.hostName}:10000'
      : 'rediss://:${uriComponent(cache.listKeys().primaryKey)}@${cache.properties.hostName}:${cache.properties.sslPort}'
    contentType: 'text/plain'
  }
}

@description('Host name of the cache (no key).')
output hostName string = useManaged ? managedCluster.properties.hostName : cache.properties.hostName

@description('Name of the Key Vault secret holding REDIS_URL.')
output urlSecretName string = redisUrl.name
