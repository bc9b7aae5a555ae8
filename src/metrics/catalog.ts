// The metrics TrustChain exports (/metrics). One definition per family, shared by every recorder.

import { counter, gauge, histogram } from "./registry.ts";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
const DNS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] as const;

export const ISSUANCES = counter("trustchain_issuances_total", "Certificate issuance attempts at the CA signer, by profile and outcome (issued, or the problem type).");
export const ISSUANCE_SECONDS = histogram("trustchain_issuance_duration_seconds", "Time from the CA signer receiving an issuance request to the certificate being indexed.", LATENCY_BUCKETS);

export const CT_SUBMISSIONS = counter("trustchain_ct_submissions_total", "Submissions to the CT log's sequencer, by kind (x509, precert) and outcome.");
export const CT_SEQUENCING_SECONDS = histogram("trustchain_ct_sequencing_duration_seconds", "Time from a submission reaching the CT log to its SCT (pooling, sequencing, publishing).", LATENCY_BUCKETS);
/** Read at scrape time from the published checkpoint: never a stale copy. */
export const CT_TREE_SIZE = gauge("trustchain_ct_tree_size", "Tree size of the CT log's latest published checkpoint.");
export const CT_CHECKPOINT_AGE = gauge("trustchain_ct_checkpoint_age_seconds", "Seconds since the CT log's checkpoint was last published to R2.");

export const DOH_QUERIES = counter("trustchain_doh_queries_total", "DNS-over-HTTPS queries answered, by format (wire, json) and RCODE (or HTTP status for refused requests).");
export const DOH_ZONE_LOOKUPS = counter("trustchain_doh_zone_lookups_total", "DNS-over-HTTPS answers asked of a zone's object (misses of the isolate's and the edge's caches; identical misses in flight share one).");
export const DOH_SECONDS = histogram("trustchain_doh_query_duration_seconds", "Time to answer a DNS-over-HTTPS query in the Worker.", DNS_BUCKETS);

export const RATE_LIMITED = counter("trustchain_rate_limited_total", "Requests refused with 429 rateLimited, by limit.");

export const CA_UP = gauge("trustchain_ca_up", "1 when the CA signer answers with its certificates, 0 when it does not (at scrape time).");

/** For the consensus layer: one series per validator (label validator=<id>); the gauges are read at scrape time. */
export const VALIDATOR_HEALTHY = gauge("trustchain_validator_healthy", "1 when the validator answered its status check at scrape time, 0 when it did not.");
export const VALIDATOR_SUSPENDED = gauge("trustchain_validator_suspended", "1 while an operator has suspended the validator for maintenance (it refuses to vote), else 0.");
export const VALIDATOR_QUARANTINED = gauge("trustchain_validator_quarantined", "1 while the CA signer quarantines the validator (equivocation or an invalid vote), else 0.");
export const VALIDATOR_QUARANTINES = counter("trustchain_validator_quarantines_total", "Quarantines raised, by validator and reason (equivocation, invalid-vote).");
export const CONSENSUS_VOTES = counter("trustchain_consensus_votes_total", "Validator answers to vote requests, by validator and result (approve, reject, unavailable, invalid).");
export const CONSENSUS_EQUIVOCATIONS = counter("trustchain_consensus_equivocations_total", "Equivocations detected (two validly signed, different verdicts for one request), by validator.");
export const CONSENSUS_QUORUM_SECONDS = histogram("trustchain_consensus_quorum_duration_seconds", "Time from asking the validators to a quorum certificate or a refusal, by operation and outcome (approved, refused, unavailable).", LATENCY_BUCKETS);
