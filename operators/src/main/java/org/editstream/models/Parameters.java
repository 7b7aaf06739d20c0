package org.editstream.models;

import ai.djl.ndarray.NDArray;

/**
 * Where a module takes its weights from, by the names the reference implementation gives them. A module
 * asks for each tensor with the shape its configuration implies; the source checks the shape, so a config
 * that does not match its weights fails at load time with the tensor's name, not later with a bad matmul.
 */
public interface Parameters {
    /** The tensor {@code name} below this view, which must have {@code shape}. */
    NDArray get(String name, long... shape);

    /** The view of the names below {@code name} ("down_blocks" then "0" is "down_blocks.0."). */
    Parameters child(String name);

    /** Whether the source holds {@code name} below this view (for tensors that are optional in a layout). */
    boolean has(String name);

    /** The full name of {@code name} below this view. */
    String path(String name);
}
