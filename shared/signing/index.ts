export { Keyring, type KeyringData } from './keyring.js';
export { ATTESTER_PREFIX, HEADER_ALG, HEADER_ATTESTER, HEADER_KID, HEADER_SIG, PROVENANCE_ATTRIBUTE, SIGNATURE_ALG, attesterOf, hmacSha256, signAttestedHeaders, signHeaders, verifySignature, headerString, type HeaderValue, type Verification } from './hmac.js';
export { CommandKeyset, CommandSigner, FLEET_RECORD_KEY, type CommandJwk, type CommandKeyScope, type CommandPublicKey } from './commandKeys.js';
export { COMMAND_SIGNATURE_ALG, HEADER_CMD_KID, HEADER_CMD_SIG, commandSignedBytes, signCommandRecord } from './commandRecord.js';
export { COMMAND_REJECTIONS, acceptCommand, verifyCommandSignature, type CommandRecord, type CommandRejection, type Rejected, type SignatureCheck } from './commandVerifier.js';
export { DEV_COMMAND_KEYS_FILE, loadCommandKeyset, loadCommandSigner } from './commandKeyConfig.js';
