/** The pure SIEM core: formatters (OCSF, ECS, CEF/syslog), redaction and the Sink interface. No I/O. */
export { DEFAULT_REDACTIONS, compileRedactions, redact, redactAlert, type RedactionPattern } from './redact.js';
export { OCSF_SEVERITY, OCSF_VERSION, PRODUCT, DETECTION_FINDING, attacksFromTags, commandToOcsf, toOcsf, type ProductInfo } from './ocsf.js';
export { toEcs } from './ecs.js';
export { CEF_SEVERITY, SYSLOG_SEVERITY, cefHeader, cefValue, octetFrame, syslogTimestamp, toCef, toSyslog5424, type SyslogOptions } from './cef.js';
export { TRUNCATION_MARKER, cefExtensionValue, cefHeaderField, hasUnsafeChar } from './escape.js';
export { isRetriableStatus, type FormattedAlert, type Sink, type SinkResult } from './sink.js';
