package org.editstream.models;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * Where a model folder's tensors come from: its weights file, or random weights of the shapes its config implies
 * (benchmarks and memory measurements on real sizes, from a folder that holds only configs).
 */
@FunctionalInterface
public interface WeightSource {
    WeightSource FILES = (manager, folder, dtype, rename) -> WeightSet.load(manager, ModelFolder.weights(folder), dtype, rename);
    WeightSource RANDOM = (manager, folder, dtype, rename) -> WeightSet.random(manager, dtype);

    /**
     * The tensors of the model in {@code folder}, floating-point ones in {@code dtype}.
     *
     * @param rename maps names as stored to the names the model asks for (older layouts), or identity
     */
    WeightSet open(NDManager manager, Path folder, DataType dtype, UnaryOperator<String> rename);
}
