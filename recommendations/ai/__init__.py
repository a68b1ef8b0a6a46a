"""Rationale writers: prompt, batching, validation, the offline and Bedrock providers."""
