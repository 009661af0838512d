/**
 * The built-in response policy: rules/response.yaml as data, so services work with no file.
 * A unit test keeps the two equal; change both together.
 */
import { policySchema, type Policy } from './policy.js';

export const DEFAULT_POLICY: Policy = policySchema.parse({
  "version": 1,
  "protectedAgents": [
    "prod-critical-*"
  ],
  "circuitBreaker": {
    "maxAgents": 10,
    "windowMs": 60000
  },
  "rules": [
    {
      "id": "payment-throttle",
      "description": "Unusual payments: revoke payments, keep the agent working otherwise.",
      "match": {
        "rules": [
          "volume-spike.payment",
          "volume-spike.payment-run"
        ]
      },
      "action": "throttle",
      "revoke": [
        "payment.*"
      ],
      "mode": "auto",
      "ttlMs": 3600000
    },
    {
      "id": "exfiltration-quarantine",
      "description": "Data leaving in bulk or to a new destination: stop the agent.",
      "match": {
        "minSeverity": "HIGH",
        "rules": [
          "volume-spike.bytes-out",
          "volume-spike.records",
          "unusual-access.target",
          "slow-ramp.volume"
        ]
      },
      "action": "quarantine",
      "mode": "auto",
      "ttlMs": 3600000
    },
    {
      "id": "exfiltration-throttle",
      "description": "Suspected bulk data access or sending (MEDIUM): cut the agent's ways out while it keeps working; HIGH quarantines.",
      "match": {
        "minSeverity": "MEDIUM",
        "rules": [
          "volume-spike.bytes-out",
          "volume-spike.records",
          "unusual-access.target",
          "slow-ramp.volume"
        ]
      },
      "action": "throttle",
      "revoke": [
        "net.egress",
        "email.send",
        "file.upload"
      ],
      "mode": "auto",
      "ttlMs": 1800000
    },
    {
      "id": "injection-throttle",
      "description": "Prompt-injection marker: cut the agent's ways to act on the outside world until someone looks.",
      "match": {
        "rules": [
          "injection.*"
        ]
      },
      "action": "throttle",
      "revoke": [
        "net.egress",
        "email.send",
        "payment.*",
        "file.delete",
        "permission.change"
      ],
      "mode": "auto",
      "ttlMs": 1800000
    },
    {
      "id": "credential-throttle",
      "description": "Bursts of failed logins or denied actions: revoke authentication and privileged actions.",
      "match": {
        "rules": [
          "error-burst.*"
        ]
      },
      "action": "throttle",
      "revoke": [
        "auth.*",
        "permission.change"
      ],
      "mode": "auto",
      "ttlMs": 1800000
    },
    {
      "id": "impersonation-forged-notify",
      "description": "Events claim the agent's identity without a valid signature: tell the SOC where they came from; never isolate the claimed agent.",
      "match": {
        "rules": [
          "impersonation.signature"
        ]
      },
      "action": "notify"
    },
    {
      "id": "key-compromise-approval",
      "description": "A signed event replays or clones the agent's sequence: its key is compromised; quarantine by approval and rotate the key.",
      "match": {
        "rules": [
          "impersonation.seq-replay"
        ]
      },
      "action": "quarantine",
      "mode": "approval",
      "ttlMs": 3600000,
      "approval": {
        "timeoutMs": 900000,
        "onTimeout": "escalate"
      }
    },
    {
      "id": "critical-quarantine",
      "description": "Anything else CRITICAL: stop the agent now.",
      "match": {
        "minSeverity": "CRITICAL"
      },
      "action": "quarantine",
      "mode": "auto",
      "ttlMs": 3600000
    },
    {
      "id": "high-approval",
      "description": "Other HIGH alerts: propose a quarantine to a human; dismissed if nobody answers.",
      "match": {
        "minSeverity": "HIGH"
      },
      "action": "quarantine",
      "mode": "approval",
      "ttlMs": 3600000,
      "approval": {
        "timeoutMs": 900000,
        "onTimeout": "dismiss"
      }
    },
    {
      "id": "notify",
      "description": "Everything else goes to the SIEM only.",
      "match": {},
      "action": "notify"
    }
  ]
});
