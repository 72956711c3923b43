"""Weight converters from other zoos' checkpoints into zoo's models."""
