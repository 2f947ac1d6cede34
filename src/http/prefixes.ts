export const CLIENT_V1 = '/_matrix/client/api/v1';
export const CLIENT_V2_ALPHA = '/_matrix/client/v2_alpha';
export const FEDERATION_V1 = '/_matrix/federation/v1';
export const MEDIA_V1 = '/_matrix/media/v1';
export const KEY_V2 = '/_matrix/key/v2';
