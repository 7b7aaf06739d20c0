package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;

import java.util.function.UnaryOperator;

/** The activation functions the configurations name. */
public final class Activation {
    /**
     * A named activation function. {@code fused} and {@code algorithm} name it as oneDNN's linear product applies it
     * to its output ({@code mkldnn::_linear_pointwise}'s post-op), or {@code fused} is null where oneDNN has no such
     * post-op; {@link Linear#forward(NDArray, UnaryOperator)} fuses it there.
     */
    public record Function(String name, String fused, String algorithm, UnaryOperator<NDArray> function)
            implements UnaryOperator<NDArray> {
        @Override
        public NDArray apply(NDArray x) {
            return function.apply(x);
        }
    }

    public static final Function SILU = new Function("silu", "swish", "", Activation::silu);
    public static final Function GELU = new Function("gelu", "gelu", "none", Activation::gelu);
    public static final Function QUICK_GELU = new Function("quick_gelu", null, null, Activation::quickGelu);
    public static final Function RELU = new Function("relu", "relu", "", x -> x.getNDArrayInternal().relu());

    private Activation() {
    }

    /** x * sigmoid(x), written into the sigmoid's fresh array (one allocation, not two). */
    public static NDArray silu(NDArray x) {
        return x.getNDArrayInternal().sigmoid().muli(x);
    }

    /** GELU with the exact error function, as torch's default. */
    public static NDArray gelu(NDArray x) {
        return x.getNDArrayInternal().gelu();
    }

    /** x * sigmoid(1.702 x), the approximation CLIP was trained with. */
    public static NDArray quickGelu(NDArray x) {
        return x.mul(1.702f).getNDArrayInternal().sigmoid().muli(x);
    }

    /** The function a config's {@code hidden_act} / {@code act_fn} names. */
    public static Function named(String name) {
        return switch (name) {
            case "silu", "swish" -> SILU;
            case "gelu" -> GELU;
            case "quick_gelu" -> QUICK_GELU;
            case "relu" -> RELU;
            default -> throw new IllegalArgumentException("unsupported activation '" + name + "'");
        };
    }
}
