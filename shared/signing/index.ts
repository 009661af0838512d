export { Keyring, type KeyringData } from './keyring.js';
export { HEADER_ALG, HEADER_KID, HEADER_SIG, SIGNATURE_ALG, hmacSha256, signHeaders, verifySignature, type Verification } from './hmac.js';
