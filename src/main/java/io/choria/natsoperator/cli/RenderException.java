package io.choria.natsoperator.cli;

/** A problem with render's input: printed as one line on stderr, exit code 1. */
final class RenderException extends RuntimeException {
    RenderException(String message) {
        super(message);
    }
}
