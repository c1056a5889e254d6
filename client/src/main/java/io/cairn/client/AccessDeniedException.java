package io.cairn.client;

/**
 * The user may not do this: its roles lack a permission the request needs (the message names
 * the operation and the key, range or lock name). Nothing was changed; a request touching
 * several keys is refused whole.
 */
public final class AccessDeniedException extends CairnException {
    private static final long serialVersionUID = 1L;

    public AccessDeniedException(String message, Throwable cause) {
        super(message, cause);
    }
}
