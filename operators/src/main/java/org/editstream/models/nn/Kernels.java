package org.editstream.models.nn;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;

/**
 * libtorch kernels that DJL's operator set lacks, each one native call where DJL would need several passes over
 * memory: group normalisation (with SiLU fused in place), fused scaled dot-product attention and convolution as
 * one matrix product over the input's patches. They are the
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
              def convolution_as_matmul(self: __torch__.Kernels, x: Tensor, weight: Tensor, bias: Tensor, kernel: int, stride: int, padding: int) -> Tensor:
                rows = (x.size(2) + 2 * padding - kernel) // stride + 1
                columns = (x.size(3) + 2 * padding - kernel) // stride + 1
                patches = torch.im2col(x, [kernel, kernel], [1, 1], [padding, padding], [stride, stride])
                out = torch.matmul(weight, patches).add_(bias.unsqueeze(1))
                return out.reshape([x.size(0), weight.size(0), rows, columns])
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

    /**
     * A square convolution of x [N, in, H, W] computed as {@code weight} [out, in * k * k] times the patches
     * [N, in * k * k, H' * W'] (im2col), plus {@code bias} [out].
     */
    static NDArray convolutionAsMatmul(NDArray x, NDArray weight, NDArray bias, int kernel, int stride, int padding) {
        return module().call("convolution_as_matmul", x.getManager(), x, weight, bias, kernel, stride, padding);
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
