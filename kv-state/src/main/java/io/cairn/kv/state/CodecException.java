package io.cairn.kv.state;

/**
 * Bytes that do not decode: truncated, corrupt, of an unknown format version or an unknown tag.
 * The message names what was being read and at which byte offset. Decoding a command that came
 * out of the log turns this into a {@link Result.Rejected} with {@link RejectReason#MALFORMED}, so
 * a bad entry can never change state.
 */
public final class CodecException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public CodecException(String message) {
        super(message);
    }
}
