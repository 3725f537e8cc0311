"""Loaded by the schemathesis run (SCHEMATHESIS_HOOKS): TUS PATCH bodies are raw bytes of media type
application/offset+octet-stream, which schemathesis does not serialize on its own."""
import schemathesis
from schemathesis.transport.serialization import serialize_binary


@schemathesis.serializer("application/offset+octet-stream")
def offset_octet_stream(ctx, value) -> bytes:
    return serialize_binary(value)
