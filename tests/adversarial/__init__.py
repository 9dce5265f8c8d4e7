"""The adversarial suite (issue #5): tampering, malformed input, hostile text, network and disk faults."""
