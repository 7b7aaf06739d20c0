package org.editstream.models.gdino;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.ModelFolder;
import org.editstream.models.Parameters;
import org.editstream.models.Scoped;
import org.editstream.models.WeightSet;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.nn.DeformableAttention;
import org.editstream.models.nn.GroupNorm;
import org.editstream.models.nn.LayerNorm;
import org.editstream.models.nn.Linear;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Grounding DINO (Hugging Face's {@code GroundingDinoForObjectDetection}, names under {@code model.}): the Swin
 * backbone and its levels' masks and positions, the BERT text backbone and its projection, the input projections
 * (a 1x1 convolution and a group norm per backbone level, then 3x3 stride-2 ones for the extra levels), and the
 * encoder. Each encoder layer fuses the two modalities (bi-directional cross-attention, layer-scaled), enhances the
 * text (phrase-wise self-attention with sine positions of the phrase position ids) and refines the image tokens by
 * multi-scale deformable self-attention around each token's own position.
 */
public final class GroundingDino implements AutoCloseable {
    /** What the encoder hands the decoder: its two sequences and what describes the image tokens. */
    public record Encoded(NDArray vision, NDArray text, NDArray visionMask, NDArray textMask, List<long[]> shapes) {
    }

    private static final float FLOAT_MIN = -Float.MAX_VALUE;

    private final NDManager manager;
    private final GroundingDinoConfig config;
    private final Swin backbone;
    private final Bert text;
    private final Linear textProjection;
    private final List<Conv2d> inputConvolutions = new ArrayList<>();
    private final List<GroupNorm> inputNorms = new ArrayList<>();
    private final NDArray levelEmbedding;
    private final List<EncoderLayer> encoder = new ArrayList<>();

    GroundingDino(NDManager manager, Parameters p, GroundingDinoConfig c) {
        this.manager = manager;
        this.config = c;
        Parameters m = p.child("model");
        this.backbone = new Swin(m.child("backbone.conv_encoder.model"), c.backboneConfig());
        this.text = new Bert(m.child("text_backbone"), c.textConfig());
        long d = c.dModel();
        this.textProjection = new Linear(m.child("text_projection"), c.textConfig().hiddenSize(), d, true);
        List<String> stages = c.backboneConfig().outFeatures();
        long last = 0;
        for (int l = 0; l < c.numFeatureLevels(); l++) {
            Parameters proj = m.child("input_proj_vision").child(Integer.toString(l));
            if (l < stages.size()) {
                long channels = c.backboneConfig().channels(Integer.parseInt(stages.get(l).substring(5)));
                inputConvolutions.add(new Conv2d(proj.child("0"), channels, d, 1, 1, 0, true));
                last = channels;
            } else {
                inputConvolutions.add(new Conv2d(proj.child("0"), l == stages.size() ? last : d, d, 3, 2, 1, true));
            }
            inputNorms.add(new GroupNorm(proj.child("1"), 32, d, 1e-5));
        }
        this.levelEmbedding = m.get("level_embed", c.numFeatureLevels(), d);
        for (int i = 0; i < c.encoderLayers(); i++) {
            encoder.add(new EncoderLayer(m.child("encoder").child("layers").child(Integer.toString(i)), c));
        }
    }

    /** The checkpoint in a folder of the Hugging Face layout, on the device, with floating-point weights in {@code dtype}. */
    public static GroundingDino load(Path folder, Device device, DataType dtype) {
        NDManager manager = org.editstream.models.Resident.manager(device);
        try {
            GroundingDinoConfig config = ModelFolder.config(folder, GroundingDinoConfig.class);
            WeightSet weights = WeightSet.load(manager, ModelFolder.weights(folder), dtype, UnaryOperator.identity());
            GroundingDino model = new GroundingDino(manager, weights.root(), config);
            weights.closeUnused();
            return model;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public GroundingDinoConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    /** The encoder's outputs for pixels [B, 3, H, W], their mask [B, H, W] and the texts (already cut to max_text_len). */
    public Encoded encode(NDArray pixels, NDArray pixelMask, GroundingText texts) {
        NDManager m = pixels.getManager();
        long d = config.dModel();
        NDArray ids = m.create(texts.ids());
        NDArray positionIds = m.create(texts.positionIds());
        long[][][] phrases = texts.phraseMask();
        long t = phrases.length == 0 ? 0 : phrases[0].length;
        long[] flat = new long[(int) (phrases.length * t * t)];
        for (int b = 0; b < phrases.length; b++) {
            for (int i = 0; i < t; i++) {
                System.arraycopy(phrases[b][i], 0, flat, (int) ((b * t + i) * t), (int) t);
            }
        }
        NDArray phraseMask = m.create(flat, new Shape(phrases.length, t, t));
        NDArray textMask = m.create(texts.attentionMask());
        NDArray textStates = textProjection.forward(text.forward(ids, positionIds, phraseMask));

        List<NDArray> maps = backbone.forward(pixels);
        List<NDArray> levels = new ArrayList<>();
        List<NDArray> masks = new ArrayList<>();
        NDList positions = new NDList();
        List<long[]> shapes = new ArrayList<>();
        for (int l = 0; l < config.numFeatureLevels(); l++) {
            NDArray source = l < maps.size() ? maps.get(l) : l == maps.size() ? maps.get(maps.size() - 1) : levels.get(l - 1);
            NDArray level = inputNorms.get(l).forward(inputConvolutions.get(l).forward(source));
            long h = level.getShape().get(2);
            long w = level.getShape().get(3);
            NDArray mask = LevelPositions.mask(pixelMask, h, w);
            levels.add(level);
            masks.add(mask);
            shapes.add(new long[] {h, w});
            NDArray pos = LevelPositions.embedding(mask, (int) (d / 2), config.positionalEmbeddingTemperature());
            positions.add(pos.reshape(pos.getShape().get(0), d, h * w).transpose(0, 2, 1)
                    .add(levelEmbedding.get(l).reshape(1, 1, d)));
        }
        NDArray vision = DeformableAttention.flatten(levels);
        NDArray position = NDArrays.concat(positions, 1);
        NDList flatMasks = new NDList();
        for (NDArray mask : masks) {
            flatMasks.add(mask.reshape(mask.getShape().get(0), -1));
        }
        NDArray visionMask = NDArrays.concat(flatMasks, 1);
        NDArray reference = referencePoints(m, masks, shapes);
        NDArray textPosition = textPositions(positionIds, (int) d);
        for (EncoderLayer layer : encoder) {
            NDArray[] out = layer.forward(vision, position, visionMask, reference, shapes, textStates, textMask, phraseMask,
                    textPosition);
            vision = out[0];
            textStates = out[1];
        }
        return new Encoded(vision, textStates, visionMask, textMask, shapes);
    }

    /**
     * The encoder's reference points [B, S, L, 2]: each token's centre (x, y) over its level's valid extent, then
     * scaled by every level's valid ratio (Deformable DETR's).
     */
    static NDArray referencePoints(NDManager m, List<NDArray> masks, List<long[]> shapes) {
        int levels = masks.size();
        int batch = (int) masks.get(0).getShape().get(0);
        float[][][] ratios = new float[batch][levels][2];
        int total = 0;
        for (int l = 0; l < levels; l++) {
            int h = (int) shapes.get(l)[0];
            int w = (int) shapes.get(l)[1];
            long[] mask = masks.get(l).toLongArray();
            for (int b = 0; b < batch; b++) {
                int validH = 0;
                int validW = 0;
                for (int y = 0; y < h; y++) {
                    validH += mask[(b * h + y) * w] != 0 ? 1 : 0;
                }
                for (int x = 0; x < w; x++) {
                    validW += mask[b * h * w + x] != 0 ? 1 : 0;
                }
                ratios[b][l][0] = (float) validW / w;
                ratios[b][l][1] = (float) validH / h;
            }
            total += h * w;
        }
        float[] points = new float[batch * total * levels * 2];
        for (int b = 0; b < batch; b++) {
            int token = 0;
            for (int l = 0; l < levels; l++) {
                int h = (int) shapes.get(l)[0];
                int w = (int) shapes.get(l)[1];
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        float rx = (x + 0.5f) / (ratios[b][l][0] * w);
                        float ry = (y + 0.5f) / (ratios[b][l][1] * h);
                        for (int k = 0; k < levels; k++) {
                            int at = ((b * total + token) * levels + k) * 2;
                            points[at] = rx * ratios[b][k][0];
                            points[at + 1] = ry * ratios[b][k][1];
                        }
                        token++;
                    }
                }
            }
        }
        return m.create(points, new Shape(batch, total, levels, 2));
    }

    /** Sine embeddings [B, T, d] of the phrase position ids (temperature 10000, not normalised). */
    static NDArray textPositions(NDArray positionIds, int d) {
        float[] dim = new float[d];
        for (int i = 0; i < d; i++) {
            dim[i] = (float) Math.pow(10000, 2.0 * (i / 2) / d);
        }
        NDArray angles = positionIds.toType(DataType.FLOAT32, false).expandDims(-1).mul((float) (2 * Math.PI))
                .div(positionIds.getManager().create(dim));
        Shape s = angles.getShape();
        NDArray sines = angles.get(":, :, 0::2").sin();
        NDArray cosines = angles.get(":, :, 1::2").cos();
        return NDArrays.stack(new NDList(sines, cosines), 3).reshape(s);
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Fusion, text enhancement, deformable self-attention. */
    private static final class EncoderLayer {
        private final Fusion fusion;
        private final TextEnhancer enhancer;
        private final DeformableLayer deformable;

        EncoderLayer(Parameters p, GroundingDinoConfig c) {
            this.fusion = new Fusion(p.child("fusion_layer"), c);
            this.enhancer = new TextEnhancer(p.child("text_enhancer_layer"), c);
            this.deformable = new DeformableLayer(p.child("deformable_layer"), c);
        }

        NDArray[] forward(NDArray vision, NDArray position, NDArray visionMask, NDArray reference, List<long[]> shapes,
                          NDArray text, NDArray textMask, NDArray phraseMask, NDArray textPosition) {
            NDArray[] fused = fusion.forward(vision, text, visionMask, textMask);
            NDArray enhanced = enhancer.forward(fused[1], phraseMask, textPosition);
            NDArray refined = deformable.forward(fused[0], position, visionMask, reference, shapes);
            return new NDArray[] {refined, enhanced};
        }
    }

    /**
     * Bi-directional image-text cross-attention on layer-normed inputs, each direction's output scaled by a learned
     * per-channel layer scale before its residual; image tokens of padding and padded text are masked out.
     */
    private static final class Fusion {
        private final LayerNorm visionNorm;
        private final LayerNorm textNorm;
        private final Linear visionQuery;
        private final Linear textKey;
        private final Linear visionValue;
        private final Linear textValue;
        private final Linear visionOut;
        private final Linear textOut;
        private final NDArray visionScale;
        private final NDArray textScale;
        private final int heads;
        private final long embed;

        Fusion(Parameters p, GroundingDinoConfig c) {
            long d = c.dModel();
            this.heads = c.encoderAttentionHeads() / 2;
            this.embed = c.encoderFfnDim() / 2;
            this.visionNorm = new LayerNorm(p.child("layer_norm_vision"), d, c.layerNormEps());
            this.textNorm = new LayerNorm(p.child("layer_norm_text"), d, c.layerNormEps());
            Parameters a = p.child("attn");
            this.visionQuery = new Linear(a.child("vision_proj"), d, embed, true);
            this.textKey = new Linear(a.child("text_proj"), d, embed, true);
            this.visionValue = new Linear(a.child("values_vision_proj"), d, embed, true);
            this.textValue = new Linear(a.child("values_text_proj"), d, embed, true);
            this.visionOut = new Linear(a.child("out_vision_proj"), embed, d, true);
            this.textOut = new Linear(a.child("out_text_proj"), embed, d, true);
            this.visionScale = p.get("vision_param", d);
            this.textScale = p.get("text_param", d);
        }

        NDArray[] forward(NDArray vision, NDArray text, NDArray visionMask, NDArray textMask) {
            NDArray v = visionNorm.forward(vision);
            NDArray t = textNorm.forward(text);
            long batch = v.getShape().get(0);
            long nv = v.getShape().get(1);
            long nt = t.getShape().get(1);
            long hd = embed / heads;
            float scale = (float) Math.pow(hd, -0.5);
            NDArray query = split(visionQuery.forward(v).mul(scale), batch, heads, hd);
            NDArray key = split(textKey.forward(t), batch, heads, hd);
            NDArray vValue = split(visionValue.forward(v), batch, heads, hd);
            NDArray tValue = split(textValue.forward(t), batch, heads, hd);
            NDArray weights = query.matMul(key.transpose(0, 1, 3, 2)); // [B, h, Nv, Nt]
            weights = weights.sub(weights.max()).clip(-50000f, 50000f);
            NDArray toVision = weights.transpose(0, 1, 3, 2);
            toVision = toVision.sub(toVision.max(new int[] {-1}, true)).clip(-50000f, 50000f);
            NDArray visionPadding = visionMask.eq(0).reshape(batch, 1, 1, nv);
            NDArray textPadding = textMask.eq(0).reshape(batch, 1, 1, nt);
            NDArray textProbabilities = masked(toVision, visionPadding).softmax(-1);
            NDArray visionProbabilities = masked(weights, textPadding).softmax(-1);
            NDArray visionDelta = visionOut.forward(merge(visionProbabilities.matMul(tValue)));
            NDArray textDelta = textOut.forward(merge(textProbabilities.matMul(vValue)));
            return new NDArray[] {v.add(visionDelta.mul(visionScale)), t.add(textDelta.mul(textScale))};
        }

        /** x with the float minimum added where {@code padding} holds (the reference fills -inf: the same zero after softmax). */
        private static NDArray masked(NDArray x, NDArray padding) {
            return x.add(padding.toType(x.getDataType(), false).mul(FLOAT_MIN));
        }

        private static NDArray split(NDArray x, long batch, int heads, long hd) {
            return x.reshape(batch, -1, heads, hd).transpose(0, 2, 1, 3);
        }

        private static NDArray merge(NDArray x) {
            Shape s = x.getShape();
            return x.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3));
        }
    }

    /** Post-norm self-attention among each phrase's tokens (queries and keys with positions), then a ReLU MLP. */
    private static final class TextEnhancer {
        private final int heads;
        private final Linear query;
        private final Linear key;
        private final Linear value;
        private final Linear out;
        private final LayerNorm before;
        private final Linear fc1;
        private final Linear fc2;
        private final LayerNorm after;
        private final UnaryOperator<NDArray> act;

        TextEnhancer(Parameters p, GroundingDinoConfig c) {
            long d = c.dModel();
            this.heads = c.encoderAttentionHeads() / 2;
            Parameters a = p.child("self_attn");
            this.query = new Linear(a.child("query"), d, d, true);
            this.key = new Linear(a.child("key"), d, d, true);
            this.value = new Linear(a.child("value"), d, d, true);
            this.out = new Linear(a.child("out_proj"), d, d, true);
            this.before = new LayerNorm(p.child("layer_norm_before"), d, c.layerNormEps());
            this.fc1 = new Linear(p.child("fc1"), d, c.encoderFfnDim() / 2, true);
            this.fc2 = new Linear(p.child("fc2"), c.encoderFfnDim() / 2, d, true);
            this.after = new LayerNorm(p.child("layer_norm_after"), d, c.layerNormEps());
            this.act = Activation.named(c.activationFunction());
        }

        NDArray forward(NDArray text, NDArray phraseMask, NDArray positions) {
            NDArray mask = phraseMask.toType(text.getDataType(), false).neg().add(1f).mul(FLOAT_MIN).expandDims(1);
            NDArray qk = text.add(positions);
            NDArray attended = out.forward(Attention.attend(query.forward(qk), key.forward(qk), value.forward(text), heads, mask, null));
            NDArray h = before.forward(text.add(attended));
            return after.forward(fc2.forward(act.apply(fc1.forward(h))).add(h));
        }
    }

    /** Post-norm multi-scale deformable self-attention of the image tokens, then a ReLU MLP. */
    private static final class DeformableLayer {
        private final DeformableAttention attention;
        private final LayerNorm attentionNorm;
        private final Linear fc1;
        private final Linear fc2;
        private final LayerNorm finalNorm;
        private final UnaryOperator<NDArray> act;

        DeformableLayer(Parameters p, GroundingDinoConfig c) {
            long d = c.dModel();
            this.attention = new DeformableAttention(p.child("self_attn"), d, c.encoderAttentionHeads(), c.numFeatureLevels(),
                    c.encoderNPoints());
            this.attentionNorm = new LayerNorm(p.child("self_attn_layer_norm"), d, c.layerNormEps());
            this.fc1 = new Linear(p.child("fc1"), d, c.encoderFfnDim(), true);
            this.fc2 = new Linear(p.child("fc2"), c.encoderFfnDim(), d, true);
            this.finalNorm = new LayerNorm(p.child("final_layer_norm"), d, c.layerNormEps());
            this.act = Activation.named(c.activationFunction());
        }

        NDArray forward(NDArray vision, NDArray position, NDArray visionMask, NDArray reference, List<long[]> shapes) {
            NDArray attended = attention.forward(vision.add(position), vision, visionMask, reference, shapes);
            NDArray h = attentionNorm.forward(vision.add(attended));
            return finalNorm.forward(fc2.forward(act.apply(fc1.forward(h))).add(h));
        }
    }
}
