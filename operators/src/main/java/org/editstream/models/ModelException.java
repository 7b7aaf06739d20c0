package org.editstream.models;

/** A model folder or file that cannot be used as it is: which file, and what was wrong with it. */
public class ModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
