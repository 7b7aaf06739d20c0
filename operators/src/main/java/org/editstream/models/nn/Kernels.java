package org.editstream.models.nn;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * libtorch kernels that DJL's operator set lacks, each one native call where DJL would need several passes over
 * memory: group normalisation (with SiLU fused in place), fused scaled dot-product attention, channel padding and the
 * im2col convolution, deformable attention's bilinear sampling, the methods of one TorchScript module; and convolution and linear layers with weights packed
 * once into oneDNN's blocked layout, two more modules, because only libtorch builds with oneDNN have those operators. Each module is compiled once per JVM on first
 * use; the layers in this package call them.
 */
final class Kernels {
    /** The most elements the reference convolution's im2col columns take at once: 64 MiB of float32. */
    static final long REFERENCE_COLUMNS = 1L << 24;
    private static final String SOURCE = """
              def attention(self: __torch__.Kernels, q: Tensor, k: Tensor, v: Tensor, heads: int) -> Tensor:
                out = torch.scaled_dot_product_attention(self.heads(q, heads), self.heads(k, heads), self.heads(v, heads))
                return self.merge(out)
              def masked_attention(self: __torch__.Kernels, q: Tensor, k: Tensor, v: Tensor, heads: int, mask: Tensor) -> Tensor:
                out = torch.scaled_dot_product_attention(self.heads(q, heads), self.heads(k, heads), self.heads(v, heads), mask)
                return self.merge(out)
              def scaled_attention(self: __torch__.Kernels, q: Tensor, k: Tensor, v: Tensor, scale: float) -> Tensor:
                return torch.scaled_dot_product_attention(q, k, v, None, 0., False, scale=scale)
              def heads(self: __torch__.Kernels, x: Tensor, heads: int) -> Tensor:
                return x.reshape([x.size(0), x.size(1), heads, x.size(2) // heads]).transpose(1, 2)
              def merge(self: __torch__.Kernels, x: Tensor) -> Tensor:
                return x.transpose(1, 2).reshape([x.size(0), x.size(2), x.size(1) * x.size(3)])
              def group_norm(self: __torch__.Kernels, x: Tensor, groups: int, weight: Tensor, bias: Tensor, eps: float) -> Tensor:
                return torch.group_norm(x, groups, weight, bias, eps)
              def reference_convolution(self: __torch__.Kernels, x: Tensor, weight: Tensor, bias: Tensor, stride: int, padding: int, columns: int) -> Tensor:
                return self.banded_convolution(x, weight, bias, stride, padding, columns)
              def reference_convolution_unbiased(self: __torch__.Kernels, x: Tensor, weight: Tensor, stride: int, padding: int, columns: int) -> Tensor:
                return self.banded_convolution(x, weight, None, stride, padding, columns)
              def banded_convolution(self: __torch__.Kernels, x: Tensor, weight: Tensor, bias: Optional[Tensor], stride: int, padding: int, columns: int) -> Tensor:
                kh = weight.size(2)
                kw = weight.size(3)
                height = x.size(2)
                out_h = (height + 2 * padding - kh) // stride + 1
                out_w = (x.size(3) + 2 * padding - kw) // stride + 1
                rows = max(1, columns // (x.size(0) * x.size(1) * kh * kw * out_w))
                if rows >= out_h:
                  return ops.aten._slow_conv2d_forward(x, weight, [kh, kw], bias, [stride, stride], [padding, padding])
                bands: List[Tensor] = []
                r = 0
                while r < out_h:
                  e = min(out_h, r + rows)
                  first = r * stride - padding
                  last = (e - 1) * stride + kh - padding
                  top = max(0, -first)
                  bottom = max(0, last - height)
                  start = max(0, first)
                  band = torch.constant_pad_nd(x.narrow(2, start, min(last, height) - start), [padding, padding, top, bottom], 0.)
                  bands.append(ops.aten._slow_conv2d_forward(band, weight, [kh, kw], bias, [stride, stride], [0, 0]))
                  r = e
                return torch.cat(bands, 2)
              def pad_channels(self: __torch__.Kernels, x: Tensor, channels: int) -> Tensor:
                return torch.constant_pad_nd(x, [0, 0, 0, 0, 0, channels - x.size(1)], 0.)
              def group_norm_silu(self: __torch__.Kernels, x: Tensor, groups: int, weight: Tensor, bias: Tensor, eps: float) -> Tensor:
                return torch.silu_(torch.group_norm(x, groups, weight, bias, eps))
              def bilinear(self: __torch__.Kernels, x: Tensor, height: int, width: int, align_corners: bool) -> Tensor:
                return torch.upsample_bilinear2d(x, [height, width], align_corners, None, None)
              def depthwise_channels_last(self: __torch__.Kernels, x: Tensor, weight: Tensor, bias: Tensor, padding: int) -> Tensor:
                y = torch.conv2d(x.permute([0, 3, 1, 2]), weight, bias, [1, 1], [padding, padding], [1, 1], weight.size(0))
                return y.permute([0, 2, 3, 1])
              def depthwise_channels_last_unbiased(self: __torch__.Kernels, x: Tensor, weight: Tensor, padding: int) -> Tensor:
                y = torch.conv2d(x.permute([0, 3, 1, 2]), weight, None, [1, 1], [padding, padding], [1, 1], weight.size(0))
                return y.permute([0, 2, 3, 1])
              def deformable_sampling(self: __torch__.Kernels, value: Tensor, shapes: List[int], locations: Tensor, weights: Tensor) -> Tensor:
                batch = value.size(0)
                heads = value.size(2)
                dim = value.size(3)
                queries = locations.size(1)
                levels = locations.size(3)
                points = locations.size(4)
                device = locations.device
                int32 = 3  # torch.int32's ScalarType
                maps: List[Tensor] = []
                start = 0
                total = 0
                for level in range(levels):
                  height = shapes[2 * level]
                  width = shapes[2 * level + 1]
                  m = value.narrow(1, start, height * width).reshape([batch, height, width, heads * dim])
                  maps.append(torch.constant_pad_nd(m, [0, 0, 1, 2, 1, 2], 0.).reshape([batch, (height + 3) * (width + 3), heads * dim]))
                  start += height * width
                  total += (height + 3) * (width + 3)
                rows = torch.cat(maps, 1).reshape([batch * total * heads, dim])
                owner = (torch.arange(batch, dtype=int32, device=device).view([batch, 1, 1, 1]) * (total * heads)
                         + torch.arange(heads, dtype=int32, device=device).view([1, 1, heads, 1]))
                products = batch * queries * heads
                entries = points * 4
                crow = torch.arange(0, products * entries + 1, entries, dtype=int32, device=device)
                out = value.new_zeros([products, dim])
                first = 0
                for level in range(levels):
                  height = shapes[2 * level]
                  width = shapes[2 * level + 1]
                  padded = width + 3
                  x = (locations.select(3, level).select(-1, 0) * width - 0.5).clamp(-1., float(width)).nan_to_num(-1.)
                  y = (locations.select(3, level).select(-1, 1) * height - 0.5).clamp(-1., float(height)).nan_to_num(-1.)
                  x0 = x.floor()
                  y0 = y.floor()
                  fx = x - x0
                  a = weights.select(3, level)
                  below = a * (y - y0)
                  above = a - below
                  values = torch.stack([above - above * fx, above * fx, below - below * fx, below * fx], -1)
                  corner = (y0 * padded + x0).to(int32) * heads + owner + (first + padded + 1) * heads
                  steps = torch.tensor([0, heads, padded * heads, (padded + 1) * heads], dtype=int32, device=device)
                  columns = corner.unsqueeze(-1) + steps
                  sampling = torch.sparse_csr_tensor(crow, columns.flatten(), values.flatten(), [products, batch * total * heads],
                                                     dtype=value.dtype, device=device)
                  out = torch.addmm(out, sampling, rows)
                  first += (height + 3) * padded
                return out.view([batch, queries, heads * dim])
              def bicubic_by_scale(self: __torch__.Kernels, x: Tensor, scale_h: float, scale_w: float) -> Tensor:
                return torch.upsample_bicubic2d(x, None, False, [scale_h, scale_w])
            """;

    /**
     * oneDNN's prepacked convolution. {@code pack} reorders the weights into the layout oneDNN's kernel reads for
     * inputs of the given size (other sizes still work; oneDNN reorders again where it wants another layout). The
     * packed context keeps a reference to the dense weights, which {@link Conv2d} keeps too, to prove each new input
     * shape against.
     */
    private static final String PACKING_SOURCE = """
              def pack(self: __torch__.PackedConvolution, weight: Tensor, bias: Tensor, stride: int, padding: int, input: List[int]) -> __torch__.torch.classes.mkldnn.ConvOpContext:
                return ops.mkldnn_prepacked.conv2d_prepack(weight, bias, [stride, stride], [padding, padding], [1, 1], 1, input, "none")
              def pack_unbiased(self: __torch__.PackedConvolution, weight: Tensor, stride: int, padding: int, input: List[int]) -> __torch__.torch.classes.mkldnn.ConvOpContext:
                return ops.mkldnn_prepacked.conv2d_prepack(weight, None, [stride, stride], [padding, padding], [1, 1], 1, input, "none")
              def run(self: __torch__.PackedConvolution, x: Tensor, packed: __torch__.torch.classes.mkldnn.ConvOpContext) -> Tensor:
                return ops.mkldnn_prepacked.conv2d_run(x, packed)
            """;

    /**
     * oneDNN's matrix product with weights reordered once into its blocked layout ({@code _reorder_linear_weight}, for
     * the given number of rows; other row counts still work) and its AVX-512 kernels, where libtorch's own linear calls
     * MKL, whose kernels on AMD CPUs are its AVX2 ones.
     */
    private static final String LINEAR_PACKING_SOURCE = """
              def pack(self: __torch__.PackedLinear, weight: Tensor, rows: int) -> Tensor:
                return ops.mkldnn._reorder_linear_weight(weight, rows)
              def run(self: __torch__.PackedLinear, x: Tensor, packed: Tensor, bias: Tensor) -> Tensor:
                scalars: List[Optional[number]] = []
                return ops.mkldnn._linear_pointwise(x, packed, bias, "none", scalars, "")
              def run_unbiased(self: __torch__.PackedLinear, x: Tensor, packed: Tensor) -> Tensor:
                scalars: List[Optional[number]] = []
                return ops.mkldnn._linear_pointwise(x, packed, None, "none", scalars, "")
              def run_activated(self: __torch__.PackedLinear, x: Tensor, packed: Tensor, bias: Tensor, activation: str, algorithm: str) -> Tensor:
                scalars: List[Optional[number]] = []
                return ops.mkldnn._linear_pointwise(x, packed, bias, activation, scalars, algorithm)
              def run_activated_unbiased(self: __torch__.PackedLinear, x: Tensor, packed: Tensor, activation: str, algorithm: str) -> Tensor:
                scalars: List[Optional[number]] = []
                return ops.mkldnn._linear_pointwise(x, packed, None, activation, scalars, algorithm)
            """;

    private Kernels() {
    }

    /**
     * Linear weights [out, in] reordered for oneDNN's product over inputs of {@code rows} rows, owned by the weights'
     * manager, for {@link #packedLinear}.
     *
     * @throws EngineException when this libtorch has no oneDNN linear ({@link #linearPacking()})
     */
    static TorchScript.Value packLinear(NDArray weight, long rows) {
        return linearPackingModule().callForValue("pack", weight.getManager(), weight, rows);
    }

    /** x [..., in] times the {@link #packLinear} packed weights, plus {@code bias} [out] unless null. */
    static NDArray packedLinear(NDArray x, TorchScript.Value packed, NDArray bias) {
        return bias == null ? linearPackingModule().call("run_unbiased", x.getManager(), x, packed)
                : linearPackingModule().call("run", x.getManager(), x, packed, bias);
    }

    /** {@link #packedLinear} with oneDNN's post-op {@code activation} (its {@code algorithm}) applied to the output. */
    static NDArray packedLinear(NDArray x, TorchScript.Value packed, NDArray bias, String activation, String algorithm) {
        return bias == null ? linearPackingModule().call("run_activated_unbiased", x.getManager(), x, packed, activation, algorithm)
                : linearPackingModule().call("run_activated", x.getManager(), x, packed, bias, activation, algorithm);
    }

    /** Null when this JVM's libtorch packs linear weights for oneDNN, else why not. */
    static String linearPacking() {
        return LinearPacking.MODULE.failure == null ? null : LinearPacking.MODULE.failure.getMessage();
    }

    private static TorchScript linearPackingModule() {
        return LinearPacking.MODULE.get("libtorch cannot pack linear weights");
    }

    /** softmax(q k^T / sqrt(d)) v over heads, for q [B, Tq, C], k and v [B, Tk, C]; {@code mask} additive or null. */
    static NDArray attention(NDArray q, NDArray k, NDArray v, int heads, NDArray mask) {
        return mask == null ? module().call("attention", q.getManager(), q, k, v, heads)
                : module().call("masked_attention", q.getManager(), q, k, v, heads, mask);
    }

    /** softmax(q k^T * scale) v over heads already split: q, k [B, heads, Tq|Tk, D], v [B, heads, Tk, Dv]. */
    static NDArray scaledAttention(NDArray q, NDArray k, NDArray v, double scale) {
        return module().call("scaled_attention", q.getManager(), q, k, v, scale);
    }

    /**
     * The weights [out, in, k, k] of a square convolution (and its bias [out], or null) packed for inputs of
     * {@code input}'s shape, owned by the weights' manager, for {@link #packedConvolution}.
     *
     * @throws EngineException when this libtorch has no oneDNN convolution ({@link #convolutionPacking()})
     */
    static TorchScript.Value packConvolution(NDArray weight, NDArray bias, int stride, int padding, Shape input) {
        TorchScript packing = packing();
        return bias == null ? packing.callForValue("pack_unbiased", weight.getManager(), weight, stride, padding, input.getShape())
                : packing.callForValue("pack", weight.getManager(), weight, bias, stride, padding, input.getShape());
    }

    /** The convolution of x [N, in, H, W] with weights {@link #packConvolution} packed; any N, H and W. */
    static NDArray packedConvolution(NDArray x, TorchScript.Value packed) {
        return packing().call("run", x.getManager(), x, packed);
    }

    /** Null when this JVM's libtorch packs convolution weights, else why not. */
    static String convolutionPacking() {
        return Packing.MODULE.failure == null ? null : Packing.MODULE.failure.getMessage();
    }

    private static TorchScript packing() {
        return Packing.MODULE.get("libtorch cannot pack convolution weights");
    }

    /**
     * The convolution of x [N, in, H, W] with weights [out, in, k, k] (and bias [out], or null) by libtorch's
     * im2col and matrix product, which involves no oneDNN kernel: the reference packed convolutions are proven
     * against, and what a layer whose packed result failed that proof computes with.
     */
    static NDArray referenceConvolution(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        return referenceConvolution(x, weight, bias, stride, padding, REFERENCE_COLUMNS);
    }

    /**
     * As {@link #referenceConvolution(NDArray, NDArray, NDArray, int, int)}, in bands of output rows whose im2col
     * columns hold at most {@code columns} elements (at least one row a band): libtorch's im2col of a whole 512x512
     * VAE layer would take gigabytes.
     */
    static NDArray referenceConvolution(NDArray x, NDArray weight, NDArray bias, int stride, int padding, long columns) {
        return bias == null ? module().call("reference_convolution_unbiased", x.getManager(), x, weight, stride, padding, columns)
                : module().call("reference_convolution", x.getManager(), x, weight, bias, stride, padding, columns);
    }

    /**
     * libtorch's depth-wise convolution (stride 1) of channels-last x [B, H, W, C] with weights [C, 1, k, k] and bias [C]
     * or null, as [B, H', W', C]: the input read in place as a channels-last NCHW tensor, so libtorch's channels-last
     * kernel runs and the result needs no copy.
     */
    static NDArray depthwiseChannelsLast(NDArray x, NDArray weight, NDArray bias, int padding) {
        return bias == null ? module().call("depthwise_channels_last_unbiased", x.getManager(), x, weight, padding)
                : module().call("depthwise_channels_last", x.getManager(), x, weight, bias, padding);
    }

    /**
     * Multi-scale deformable attention's sampling (Deformable DETR): each query's points are read from each level by
     * bilinear interpolation as {@code grid_sample} reads them (align_corners false, zero outside the map) and summed with
     * their weights. value [B, S, heads, D] (the levels' maps flattened one after another), shapes [h0, w0, h1, w1, ...],
     * locations [B, Q, heads, L, P, 2] as (x, y) in [0, 1], weights [B, Q, heads, L, P]; the result [B, Q, heads * D].
     *
     * <p>The weighted sum is a sparse matrix product: each (batch, query, head) row holds, per level, the attention
     * weight times the bilinear weight of each point's four neighbouring pixels, at those pixels' columns in the value
     * rows (batch, pixel, head). Each level's map gets a zero border (one pixel before, two after) and the points are
     * clamped to it, so neighbours outside the map read zeros without a validity mask. Against {@code grid_sample} per
     * level and the stacked samples weighted and summed, this writes no sample array ([B * heads, D, Q, L * P]): at
     * grounding-dino-tiny's size on an 800x1333 image, one encoder layer's sampling took 0.1 s instead of 2 s here.
     */
    static NDArray deformableSampling(NDArray value, long[] shapes, NDArray locations, NDArray weights) {
        return module().call("deformable_sampling", value.getManager(), value, shapes, locations, weights);
    }

    /** x [N, C, ...] with zero channels appended up to {@code channels}, in x's manager. */
    static NDArray padChannels(NDArray x, long channels) {
        return module().call("pad_channels", x.getManager(), x, channels);
    }

    /** torch's group_norm of [N, C, ...] with per-channel {@code weight} and {@code bias} [C]. */
    static NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, double eps, boolean silu) {
        return module().call(silu ? "group_norm_silu" : "group_norm", x.getManager(), x, groups, weight, bias, eps);
    }

    /** torch's bilinear interpolation of [N, C, H, W] to {@code height} x {@code width}, into {@code results}. */
    static NDArray bilinear(NDArray x, long height, long width, boolean alignCorners, NDManager results) {
        return module().call("bilinear", results, x, height, width, alignCorners);
    }

    /**
     * torch's bicubic interpolation (A = -0.75, align_corners false, no antialias) of [N, C, H, W] by scale factors:
     * the output is floor(H * scaleH) x floor(W * scaleW), and source coordinates are (i + 0.5) / scale - 0.5 with the
     * scale as given, not the one the rounded sizes imply.
     */
    static NDArray bicubicByScale(NDArray x, double scaleH, double scaleW, NDManager results) {
        return module().call("bicubic_by_scale", results, x, scaleH, scaleW);
    }

    private static TorchScript module() {
        return Compiled.MODULE.get("libtorch did not compile EditStream's kernels");
    }

    /** A module compiled once, or why it did not compile; the failure is kept and reported by every use. */
    private record Compilation(TorchScript module, RuntimeException failure) {
        static Compilation of(String className, String source) {
            try {
                return new Compilation(TorchScript.compile(className, source), null);
            } catch (RuntimeException e) {
                return new Compilation(null, e);
            }
        }

        TorchScript get(String problem) {
            if (module == null) {
                throw new EngineException(problem + ": " + failure.getMessage(), failure);
            }
            return module;
        }
    }

    /** Compiled when first needed; a failure is expected from a libtorch built without oneDNN. */
    private static final class Packing {
        static final Compilation MODULE = Compilation.of("PackedConvolution", PACKING_SOURCE);
    }

    /** Compiled when first needed; a failure is expected from a libtorch built without oneDNN. */
    private static final class LinearPacking {
        static final Compilation MODULE = Compilation.of("PackedLinear", LINEAR_PACKING_SOURCE);
    }

    /** Compiled when first needed. */
    private static final class Compiled {
        static final Compilation MODULE = Compilation.of("Kernels", SOURCE);
    }
}
