package org.editstream.models.nn;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;

/**
 * libtorch kernels that DJL's operator set lacks, each one native call where DJL would need several passes over
 * memory: group normalisation (with SiLU fused in place) and fused scaled dot-product attention. They are the
 * methods of one TorchScript module, compiled once per JVM on first use; the layers in this package call them.
 */
final class Kernels {
    private static final String SOURCE = """
              def attention(self: __torch__.Kernels, q: Tensor, k: Tensor, v: Tensor, heads: int) -> Tensor:
                out = torch.scaled_dot_product_attention(self.heads(q, heads), self.heads(k, heads), self.heads(v, heads))
                return self.merge(out)
              def masked_attention(self: __torch__.Kernels, q: Tensor, k: Tensor, v: Tensor, heads: int, mask: Tensor) -> Tensor:
                out = torch.scaled_dot_product_attention(self.heads(q, heads), self.heads(k, heads), self.heads(v, heads), mask)
                return self.merge(out)
              def heads(self: __torch__.Kernels, x: Tensor, heads: int) -> Tensor:
                return x.reshape([x.size(0), x.size(1), heads, x.size(2) // heads]).transpose(1, 2)
              def merge(self: __torch__.Kernels, x: Tensor) -> Tensor:
                return x.transpose(1, 2).reshape([x.size(0), x.size(2), x.size(1) * x.size(3)])
              def group_norm(self: __torch__.Kernels, x: Tensor, groups: int, weight: Tensor, bias: Tensor, eps: float) -> Tensor:
                return torch.group_norm(x, groups, weight, bias, eps)
              def group_norm_silu(self: __torch__.Kernels, x: Tensor, groups: int, weight: Tensor, bias: Tensor, eps: float) -> Tensor:
                return torch.silu_(torch.group_norm(x, groups, weight, bias, eps))
            """;

    private Kernels() {
    }

    /** softmax(q k^T / sqrt(d)) v over heads, for q [B, Tq, C], k and v [B, Tk, C]; {@code mask} additive or null. */
    static NDArray attention(NDArray q, NDArray k, NDArray v, int heads, NDArray mask) {
        return mask == null ? module().call("attention", q.getManager(), q, k, v, heads)
                : module().call("masked_attention", q.getManager(), q, k, v, heads, mask);
    }

    /** torch's group_norm of [N, C, ...] with per-channel {@code weight} and {@code bias} [C]. */
    static NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, double eps, boolean silu) {
        return module().call(silu ? "group_norm_silu" : "group_norm", x.getManager(), x, groups, weight, bias, eps);
    }

    private static TorchScript module() {
        if (Compiled.MODULE == null) {
            throw new EngineException("libtorch did not compile EditStream's kernels: " + Compiled.failure.getMessage(), Compiled.failure);
        }
        return Compiled.MODULE;
    }

    /** Compiled when first needed, once; a failure is kept and reported by every call. */
    private static final class Compiled {
        private static RuntimeException failure;
        static final TorchScript MODULE = compile();

        private static TorchScript compile() {
            try {
                return TorchScript.compile("Kernels", SOURCE);
            } catch (RuntimeException e) {
                failure = e;
                return null;
            }
        }
    }
}
