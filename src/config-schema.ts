// JSON schema of homeserver.yaml. Unknown keys are errors: a typo must not silently fall back to a default.
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['server_name'],
  properties: {
    server_name: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9.\\-\\[\\]:]+$' },
    bind_address: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    public_baseurl: { type: 'string' },
    database: {
      type: 'object',
      additionalProperties: false,
      properties: { path: { type: 'string', minLength: 1 } },
    },
    signing_key_path: { type: 'string', minLength: 1 },
    media_store_path: { type: 'string', minLength: 1 },
    max_upload_size: { type: ['integer', 'string'] },
    app_service_config_files: { type: 'array', items: { type: 'string', minLength: 1 } },
    appservice: {
      type: 'object',
      additionalProperties: false,
      properties: {
        retry_backoff_min_ms: { type: 'integer', minimum: 1 },
        retry_backoff_max_ms: { type: 'integer', minimum: 1 },
        request_timeout_ms: { type: 'integer', minimum: 1 },
        enable_legacy_http_registration: { type: 'boolean' },
      },
    },
    enable_registration: { type: 'boolean' },
    registration_shared_secret: { type: ['string', 'null'] },
    rate_limiting: {
      type: 'object',
      additionalProperties: false,
      properties: {
        per_second: { type: 'number', exclusiveMinimum: 0 },
        burst: { type: 'number', minimum: 1 },
      },
    },
    federation: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        tls: { type: 'boolean' },
        tls_certificate_path: { type: 'string', minLength: 1 },
        tls_private_key_path: { type: 'string', minLength: 1 },
        plain_http_loopback_peers: { type: 'boolean' },
        retry_backoff_min_ms: { type: 'integer', minimum: 1 },
        retry_backoff_max_ms: { type: 'integer', minimum: 1 },
        request_timeout_ms: { type: 'integer', minimum: 1 },
      },
    },
    log_level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    metrics: {
      type: 'object',
      additionalProperties: false,
      properties: { enabled: { type: 'boolean' } },
    },
    admins: { type: 'array', items: { type: 'string' } },
  },
} as const;
