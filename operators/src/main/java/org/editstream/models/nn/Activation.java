package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;

import java.util.function.UnaryOperator;

/** The activation functions the configurations name. */
public final class Activation {
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
    public static UnaryOperator<NDArray> named(String name) {
        return switch (name) {
            case "silu", "swish" -> Activation::silu;
            case "gelu" -> Activation::gelu;
            case "quick_gelu" -> Activation::quickGelu;
            case "relu" -> x -> x.getNDArrayInternal().relu();
            default -> throw new IllegalArgumentException("unsupported activation '" + name + "'");
        };
    }
}
