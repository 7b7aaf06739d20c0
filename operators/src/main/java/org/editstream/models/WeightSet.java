package org.editstream.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * The tensors a model is built from: loaded from a safetensors file, random (benchmarks on real sizes without
 * real weights), or recorded only (the names and shapes a configuration implies, for checking a layout without
 * allocating it). Tracks which tensors the model took, so that weights nothing used are reported.
 */
public final class WeightSet {
    private enum Mode { LOADED, RANDOM, RECORDING }

    private final Mode mode;
    private final String source;
    private final Map<String, NDArray> tensors;
    private final NDManager manager;
    private final DataType dtype;
    private final Map<String, Shape> requested = new LinkedHashMap<>();

    private WeightSet(Mode mode, String source, Map<String, NDArray> tensors, NDManager manager, DataType dtype) {
        this.mode = mode;
        this.source = source;
        this.tensors = tensors;
        this.manager = manager;
        this.dtype = dtype;
    }

    /**
     * The tensors of a safetensors file, floating-point ones converted to {@code dtype}.
     *
     * @param rename maps names as stored to the names the model asks for (older layouts), or identity
     */
    public static WeightSet load(NDManager manager, Path file, DataType dtype, UnaryOperator<String> rename) {
        Map<String, NDArray> stored = Safetensors.read(manager, file);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        stored.forEach((name, array) -> {
            NDArray a = array.getDataType().isFloating() && array.getDataType() != dtype ? array.toType(dtype, false) : array;
            String renamed = rename.apply(name);
            a.setName(renamed);
            tensors.put(renamed, a);
        });
        return new WeightSet(Mode.LOADED, file.toString(), tensors, manager, dtype);
    }

    /** Random normal weights (std 0.02) of whatever shapes the model asks for. */
    public static WeightSet random(NDManager manager, DataType dtype) {
        return new WeightSet(Mode.RANDOM, "random weights", new LinkedHashMap<>(), manager, dtype);
    }

    /** Records names and shapes without allocating anything: the built model cannot run. */
    public static WeightSet recording() {
        return new WeightSet(Mode.RECORDING, "recording", Map.of(), null, DataType.FLOAT32);
    }

    public Parameters root() {
        return new View("");
    }

    /** The names and shapes the model asked for, in the order it asked. */
    public Map<String, Shape> requested() {
        return requested;
    }

    /**
     * Fails when the file holds tensors the model did not take (a configuration that does not match its
     * weights), except {@code optional} ones (buffers some checkpoints carry).
     */
    public void requireAllUsed(Collection<String> optional) {
        if (mode != Mode.LOADED) {
            return;
        }
        Set<String> unused = new TreeSet<>(tensors.keySet());
        unused.removeAll(requested.keySet());
        unused.removeAll(optional);
        if (!unused.isEmpty()) {
            List<String> some = unused.stream().limit(8).toList();
            throw new ModelException(source + " holds " + unused.size() + " tensors the configuration does not use: "
                    + some + (unused.size() > some.size() ? " ..." : "")
                    + "; does config.json match these weights?");
        }
    }

    /** Releases the loaded tensors that the model did not take. */
    public void closeUnused() {
        if (mode == Mode.LOADED) {
            tensors.forEach((name, array) -> {
                if (!requested.containsKey(name)) {
                    array.close();
                }
            });
        }
    }

    private NDArray take(String name, long[] shape) {
        Shape want = new Shape(shape);
        Shape before = requested.put(name, want);
        if (before != null && !before.equals(want)) {
            throw new ModelException("tensor " + name + " requested twice with shapes " + before + " and " + want);
        }
        switch (mode) {
            case RECORDING:
                return null;
            case RANDOM:
                return tensors.computeIfAbsent(name, n -> {
                    NDArray a = manager.randomNormal(0f, 0.02f, want, DataType.FLOAT32).toType(dtype, false);
                    a.setName(n);
                    return a;
                });
            default:
                NDArray a = tensors.get(name);
                if (a == null) {
                    throw new ModelException(source + " has no tensor " + name + " " + Arrays.toString(shape)
                            + ", which the configuration needs");
                }
                if (a.getShape().dimension() == 4 && want.dimension() == 2 && a.getShape().get(2) == 1
                        && a.getShape().get(3) == 1 && a.getShape().slice(0, 2).equals(want)) {
                    a = a.reshape(want); // a 1x1 convolution stored where a linear layer is meant (older files)
                    a.setName(name);
                    tensors.put(name, a);
                }
                if (want.dimension() == 0 && a.getShape().size() == 1 && a.getShape().dimension() == 1) {
                    a = a.reshape(want); // a scalar, which DJL reads from safetensors as one element
                    a.setName(name);
                    tensors.put(name, a);
                }
                if (!a.getShape().equals(want)) {
                    throw new ModelException(source + ": tensor " + name + " has shape " + a.getShape()
                            + " but the configuration needs " + want);
                }
                return a;
        }
    }

    private final class View implements Parameters {
        private final String prefix;

        View(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public NDArray get(String name, long... shape) {
            return take(prefix + name, shape);
        }

        @Override
        public Parameters child(String name) {
            return new View(prefix + name + ".");
        }

        @Override
        public boolean has(String name) {
            return mode == Mode.LOADED && tensors.containsKey(prefix + name);
        }

        @Override
        public String path(String name) {
            return prefix + name;
        }
    }
}
