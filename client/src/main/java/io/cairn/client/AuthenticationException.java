package io.cairn.client;

/**
 * The cluster did not accept who this client says it is: a wrong user or password, a token
 * that expired or was revoked and could not be renewed, or no credentials where the cluster
 * requires them. Never retried with the same credentials.
 */
public final class AuthenticationException extends CairnException {
    private static final long serialVersionUID = 1L;

    public AuthenticationException(String message, Throwable cause) {
        super(message, cause);
    }
}
