package org.editstream.models.gdino;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.ModelFolder;
import org.editstream.models.NativeAllocator;
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
import org.editstream.models.nn.Mlp;

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
    /**
     * What the encoder hands the decoder: its two sequences and what describes them.
     *
     * @param visionMask  [B, S] 1 for image tokens, 0 for padding
     * @param textMask    [B, T] 1 for tokens, 0 for padding
     * @param shapes      each level's {height, width}
     * @param validRatios [B][L] the (width, height) fraction of each level that is image
     */
    public record Encoded(NDArray vision, NDArray text, NDArray visionMask, NDArray textMask, List<long[]> shapes,
                          float[][][] validRatios) {
    }

    /**
     * The detector's outputs and the stages they come from.
     *
     * @param logits        [B, Q, max_text_len] query-token similarities, -inf past the text
     * @param boxes         [B, Q, 4] (cx, cy, w, h) relative to the padded input
     * @param proposalClass [B, S, max_text_len] the encoder's per-token class logits (two-stage)
     * @param proposalBoxes [B, S, 4] the encoder's per-token box logits, +inf where a token proposes nothing
     * @param initialBoxes  [B, Q] the selected proposals' boxes, the decoder's first reference
     * @param hidden        [B, layers, Q, d] each decoder layer's normed output
     * @param references    [B, layers, Q, 4] each decoder layer's refined boxes
     */
    public record Detection(NDArray logits, NDArray boxes, NDArray proposalClass, NDArray proposalBoxes, NDArray initialBoxes,
                            NDArray hidden, NDArray references) {
    }

    /** One detected box: its score, corners (x0, y0, x1, y1) in the original image's pixels, and its phrase. */
    public record Box(float score, float[] corners, String phrase) {
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
    private final Linear proposalProjection;
    private final LayerNorm proposalNorm;
    private final Mlp proposalBoxHead;
    private final NDArray queryEmbeddings;
    private final List<DecoderLayer> decoder = new ArrayList<>();
    private final LayerNorm decoderNorm;
    private final Mlp referenceHead;
    private final List<Mlp> boxHeads = new ArrayList<>();

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
        this.proposalProjection = new Linear(m.child("enc_output"), d, d, true);
        this.proposalNorm = new LayerNorm(m.child("enc_output_norm"), d, c.layerNormEps());
        for (int i = 0; i < c.decoderLayers(); i++) {
            // with decoder_bbox_embed_share every layer's box head is bbox_embed.0 (the copies are not stored)
            int head = c.decoderBboxEmbedShare() ? 0 : i;
            boxHeads.add(i > 0 && head == 0 ? boxHeads.get(0) : new Mlp(p.child("bbox_embed").child(Integer.toString(head)), d, d, 4, 3));
        }
        this.proposalBoxHead = c.twoStageBboxEmbedShare() && c.decoderBboxEmbedShare() ? boxHeads.get(0)
                : new Mlp(m.child("encoder_output_bbox_embed"), d, d, 4, 3);
        this.queryEmbeddings = m.get("query_position_embeddings.weight", c.numQueries(), d);
        for (int i = 0; i < c.decoderLayers(); i++) {
            decoder.add(new DecoderLayer(m.child("decoder").child("layers").child(Integer.toString(i)), c));
        }
        this.decoderNorm = new LayerNorm(m.child("decoder").child("layer_norm"), d, c.layerNormEps());
        this.referenceHead = new Mlp(m.child("decoder").child("reference_points_head"), 2 * d, d, d, 2);
    }

    /** The checkpoint in a folder of the Hugging Face layout, on the device, with floating-point weights in {@code dtype}. */
    public static GroundingDino load(Path folder, Device device, DataType dtype) {
        NativeAllocator.tune(); // before the first activations are allocated
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

    /** The model of a config on these weights (random ones for a benchmark at a released size); the manager owns them. */
    public static GroundingDino build(WeightSet weights, GroundingDinoConfig config, NDManager manager) {
        NativeAllocator.tune();
        return new GroundingDino(manager, weights.root(), config);
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
        // the phrase structure as an additive mask, once for BERT and every text enhancer
        NDArray phraseMask = additive(m.create(flat, new Shape(phrases.length, t, t)));
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
                    .add(Bert.inScope(levelEmbedding.get(l), m).reshape(1, 1, d)));
        }
        NDArray vision = DeformableAttention.flatten(levels);
        NDArray position = NDArrays.concat(positions, 1);
        NDList flatMasks = new NDList();
        for (NDArray mask : masks) {
            flatMasks.add(mask.reshape(mask.getShape().get(0), -1));
        }
        NDArray visionMask = NDArrays.concat(flatMasks, 1);
        float[][][] ratios = validRatios(masks, shapes);
        NDArray reference = referencePoints(m, ratios, shapes);
        NDArray textPosition = sinePositions(positionIds.toType(DataType.FLOAT32, false).expandDims(-1), (int) d, false);
        for (EncoderLayer layer : encoder) {
            // one layer's intermediates at a time: at 800x1333 the image tokens number about 18,000
            long s = vision.getShape().get(1);
            NDArray both = Scoped.apply(in -> {
                NDArray[] out = layer.forward(in[0], in[1], in[2], in[3], shapes, in[4], in[5], in[6], in[7]);
                return out[0].concat(out[1], 1);
            }, vision, position, visionMask, reference, textStates, textMask, phraseMask, textPosition);
            vision = both.get(":, :" + s + ", :");
            textStates = both.get(":, " + s + ":, :");
        }
        return new Encoded(vision, textStates, visionMask, textMask, shapes, ratios);
    }

    /**
     * An attention mask [B, T, T] (1 where token i may attend to token j) as the reference's additive one [B, 1, T, T]:
     * 0 where allowed, the float minimum where not.
     */
    static NDArray additive(NDArray allowed) {
        return allowed.toType(DataType.FLOAT32, false).neg().add(1f).mul(FLOAT_MIN).expandDims(1);
    }

    /** Each level's valid (width, height) fraction per image: [B][L][2]. */
    static float[][][] validRatios(List<NDArray> masks, List<long[]> shapes) {
        int levels = masks.size();
        int batch = (int) masks.get(0).getShape().get(0);
        float[][][] ratios = new float[batch][levels][2];
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
        }
        return ratios;
    }

    /**
     * The encoder's reference points [B, S, L, 2]: each token's centre (x, y) over its level's valid extent, then
     * scaled by every level's valid ratio (Deformable DETR's).
     */
    static NDArray referencePoints(NDManager m, float[][][] ratios, List<long[]> shapes) {
        int batch = ratios.length;
        int levels = shapes.size();
        int total = shapes.stream().mapToInt(sh -> (int) (sh[0] * sh[1])).sum();
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

    /**
     * Sine embeddings [B, Q, k * n] of coordinates [B, Q, k]: each coordinate times 2 pi over 10000^(2 floor(i/2) / n),
     * sines at even channels and cosines at odd ones; with {@code exchangeXy} the first two coordinates' embeddings
     * swap places (y before x), as the reference's query positions have them.
     */
    static NDArray sinePositions(NDArray coordinates, int n, boolean exchangeXy) {
        float[] dim = new float[n];
        for (int i = 0; i < n; i++) {
            dim[i] = (float) Math.pow(10000, 2.0 * (i / 2) / n);
        }
        NDArray dims = coordinates.getManager().create(dim);
        long k = coordinates.getShape().get(2);
        NDList parts = new NDList();
        for (long c = 0; c < k; c++) {
            NDArray angles = coordinates.get(":, :, " + c + ":" + (c + 1)).mul((float) (2 * Math.PI)).div(dims);
            Shape s = angles.getShape();
            parts.add(NDArrays.stack(new NDList(angles.get(":, :, 0::2").sin(), angles.get(":, :, 1::2").cos()), 3).reshape(s));
        }
        if (exchangeXy && k >= 2) {
            NDArray first = parts.get(0);
            parts.set(0, parts.get(1));
            parts.set(1, first);
        }
        return NDArrays.concat(parts, -1);
    }

    /**
     * Two-stage query selection and the decoder: every image token proposes a box (its own position, 0.05 x 2^level
     * wide, refined by the proposal head) and scores it against the text; the best {@code num_queries} proposals by
     * their best token are the decoder's first reference boxes, and the learned query embeddings its first queries.
     * Each decoder layer refines the boxes; the heads give each layer's query-token logits and boxes.
     */
    public Detection detect(Encoded e) {
        NDManager m = e.vision().getManager();
        long batch = e.vision().getShape().get(0);
        long tokens = e.vision().getShape().get(1);
        long d = config.dModel();
        int queries = config.numQueries();
        float[] proposals = new float[(int) (batch * tokens * 4)];
        float[] keep = new float[(int) (batch * tokens)];
        long[] visionMask = e.visionMask().toLongArray();
        int start = 0;
        for (int l = 0; l < e.shapes().size(); l++) {
            int h = (int) e.shapes().get(l)[0];
            int w = (int) e.shapes().get(l)[1];
            for (int b = 0; b < batch; b++) {
                // the level's valid rows and columns, as the encoder counted them
                int validW = Math.round(e.validRatios()[b][l][0] * w);
                int validH = Math.round(e.validRatios()[b][l][1] * h);
                float size = (float) (0.05 * Math.pow(2, l));
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int token = (int) (b * tokens) + start + y * w + x;
                        float[] box = {(x + 0.5f) / validW, (y + 0.5f) / validH, size, size};
                        boolean valid = visionMask[token] != 0;
                        for (float v : box) {
                            valid &= v > 0.01f && v < 0.99f;
                        }
                        keep[token] = valid ? 1 : 0;
                        for (int c = 0; c < 4; c++) {
                            proposals[token * 4 + c] = valid ? (float) Math.log(box[c] / (1 - box[c])) : Float.POSITIVE_INFINITY;
                        }
                    }
                }
            }
            start += h * w;
        }
        NDArray kept = m.create(keep, new Shape(batch, tokens, 1));
        NDArray objectQueries = proposalNorm.forward(proposalProjection.forward(e.vision().mul(kept)));
        NDArray proposalClass = contrastive(objectQueries, e.text(), e.textMask());
        NDArray proposalBoxes = proposalBoxHead.forward(objectQueries).add(m.create(proposals, new Shape(batch, tokens, 4)));

        float[] best = proposalClass.max(new int[] {-1}).toFloatArray();
        float[] boxLogits = proposalBoxes.toFloatArray();
        float[] initial = new float[(int) (batch * queries * 4)];
        for (int b = 0; b < batch; b++) {
            int row = (int) (b * tokens);
            Integer[] order = new Integer[(int) tokens];
            for (int i = 0; i < tokens; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (x, y) -> Float.compare(best[row + y], best[row + x]));
            for (int q = 0; q < queries; q++) {
                for (int c = 0; c < 4; c++) {
                    initial[(b * queries + q) * 4 + c] = (float) (1 / (1 + Math.exp(-boxLogits[(row + order[q]) * 4 + c])));
                }
            }
        }
        NDArray reference = m.create(initial, new Shape(batch, queries, 4));
        NDArray initialBoxes = reference;
        float[] ratio = new float[(int) (batch * e.shapes().size() * 4)];
        for (int b = 0; b < batch; b++) {
            for (int l = 0; l < e.shapes().size(); l++) {
                for (int c = 0; c < 4; c++) {
                    ratio[(b * e.shapes().size() + l) * 4 + c] = e.validRatios()[b][l][c % 2];
                }
            }
        }
        NDArray ratios = m.create(ratio, new Shape(batch, 1, e.shapes().size(), 4));
        NDArray textPadding = e.textMask().eq(0).toType(DataType.FLOAT32, false).mul(FLOAT_MIN)
                .reshape(batch, 1, 1, e.textMask().getShape().get(1));
        NDArray queries0 = queryEmbeddings.expandDims(0);
        NDArray hidden = Bert.inScope(queries0, m).repeat(0, batch);
        NDList states = new NDList();
        NDList references = new NDList();
        for (int i = 0; i < decoder.size(); i++) {
            NDArray input = reference.expandDims(2).mul(ratios); // [B, Q, L, 4]
            NDArray position = referenceHead.forward(sinePositions(input.get(":, :, 0, :"), (int) (d / 2), true));
            hidden = decoder.get(i).forward(hidden, position, input, e, textPadding);
            NDArray refined = boxHeads.get(i).forward(hidden).add(logit(reference)).getNDArrayInternal().sigmoid();
            states.add(decoderNorm.forward(hidden));
            references.add(refined);
            reference = refined;
        }
        NDArray allHidden = NDArrays.stack(states, 1);
        NDArray allReferences = NDArrays.stack(references, 1);
        NDArray logits = null;
        NDArray boxes = null;
        for (int i = 0; i < decoder.size(); i++) {
            NDArray before = i == 0 ? initialBoxes : references.get(i - 1);
            logits = contrastive(states.get(i), e.text(), e.textMask());
            boxes = boxHeads.get(i).forward(states.get(i)).add(logit(before)).getNDArrayInternal().sigmoid();
        }
        return new Detection(logits, boxes, proposalClass, proposalBoxes, initialBoxes, allHidden, allReferences);
    }

    /** torch.special.logit with eps 1e-5: log(x / (1 - x)) of x clamped to [eps, 1 - eps]. */
    private static NDArray logit(NDArray x) {
        NDArray c = x.clip(1e-5f, 1 - 1e-5f);
        return c.div(c.neg().add(1f)).log();
    }

    /** Query-token similarities [B, Q, max_text_len]: -inf for padded tokens and past the text. */
    private NDArray contrastive(NDArray queries, NDArray text, NDArray textMask) {
        NDArray scores = queries.matMul(text.transpose(0, 2, 1));
        Shape s = scores.getShape();
        NDArray padding = textMask.eq(0).reshape(s.get(0), 1, s.get(2)).broadcast(s);
        NDArray minusInfinity = scores.getManager().full(s, Float.NEGATIVE_INFINITY);
        scores = NDArrays.where(padding, minusInfinity, scores);
        long rest = config.maxTextLen() - s.get(2);
        return rest <= 0 ? scores : scores.concat(scores.getManager().full(new Shape(s.get(0), s.get(1), rest),
                Float.NEGATIVE_INFINITY), 2);
    }

    /**
     * The boxes of one image as the reference's {@code post_process_grounded_object_detection} gives them: queries
     * whose best token's sigmoid exceeds {@code threshold}, their boxes as corners scaled to {@code height} x
     * {@code width}, and as phrase the decoded tokens whose sigmoid exceeds {@code textThreshold} (first and last
     * position excluded).
     */
    public static List<Box> boxes(NDArray logits, NDArray boxes, long[] ids, float threshold, float textThreshold,
                                  int height, int width, BertTokenizer tokenizer) {
        long queries = logits.getShape().get(0);
        int positions = (int) logits.getShape().get(1);
        float[] probabilities = logits.getNDArrayInternal().sigmoid().toFloatArray();
        float[] b = boxes.toFloatArray();
        List<Box> out = new ArrayList<>();
        for (int q = 0; q < queries; q++) {
            float score = 0;
            for (int t = 0; t < positions; t++) {
                score = Math.max(score, probabilities[q * positions + t]);
            }
            if (!(score > threshold)) {
                continue;
            }
            List<Long> phrase = new ArrayList<>();
            for (int t = 1; t < positions - 1 && t < ids.length; t++) {
                if (probabilities[q * positions + t] > textThreshold) {
                    phrase.add(ids[t]);
                }
            }
            out.add(new Box(score, corners(b, q, height, width), tokenizer.decode(phrase.stream().mapToLong(Long::longValue).toArray())));
        }
        return out;
    }

    /** Query {@code q}'s box of {@code boxes} ([Q * 4] centre-size, normalised) as corners scaled to {@code height} x {@code width}. */
    public static float[] corners(float[] boxes, int q, int height, int width) {
        float cx = boxes[q * 4];
        float cy = boxes[q * 4 + 1];
        float w = boxes[q * 4 + 2];
        float h = boxes[q * 4 + 3];
        return new float[] {(cx - 0.5f * w) * width, (cy - 0.5f * h) * height, (cx + 0.5f * w) * width, (cy + 0.5f * h) * height};
    }

    /**
     * Each query's score for one phrase of the caption: the best sigmoid over the phrase's tokens {@code [start, end)}
     * of one image's logits [Q, T]. A caption naming several objects is read this way, phrase by phrase, so each box
     * is credited to the object whose tokens it matched.
     */
    public static float[] phraseScores(NDArray logits, int start, int end) {
        if (start < 0 || end <= start || end > logits.getShape().get(1)) {
            throw new IllegalArgumentException("token span [" + start + ", " + end + ") outside " + logits.getShape());
        }
        return logits.get(":, " + start + ":" + end).max(new int[] {1}).getNDArrayInternal().sigmoid().toFloatArray();
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

    /** Attention with separate query, key and value inputs (the reference's {@code GroundingDinoMultiheadAttention}). */
    private static final class MultiheadAttention {
        private final int heads;
        private final Linear query;
        private final Linear key;
        private final Linear value;
        private final Linear out;

        MultiheadAttention(Parameters p, long d, int heads) {
            this.heads = heads;
            this.query = new Linear(p.child("query"), d, d, true);
            this.key = new Linear(p.child("key"), d, d, true);
            this.value = new Linear(p.child("value"), d, d, true);
            this.out = new Linear(p.child("out_proj"), d, d, true);
        }

        NDArray forward(NDArray q, NDArray k, NDArray v, NDArray mask) {
            return out.forward(Attention.attend(query.forward(q), key.forward(k), value.forward(v), heads, mask, null));
        }
    }

    /** Post-norm self-attention among each phrase's tokens (queries and keys with positions), then a ReLU MLP. */
    private static final class TextEnhancer {
        private final MultiheadAttention attention;
        private final LayerNorm before;
        private final Linear fc1;
        private final Linear fc2;
        private final LayerNorm after;
        private final UnaryOperator<NDArray> act;

        TextEnhancer(Parameters p, GroundingDinoConfig c) {
            long d = c.dModel();
            this.attention = new MultiheadAttention(p.child("self_attn"), d, c.encoderAttentionHeads() / 2);
            this.before = new LayerNorm(p.child("layer_norm_before"), d, c.layerNormEps());
            this.fc1 = new Linear(p.child("fc1"), d, c.encoderFfnDim() / 2, true);
            this.fc2 = new Linear(p.child("fc2"), c.encoderFfnDim() / 2, d, true);
            this.after = new LayerNorm(p.child("layer_norm_after"), d, c.layerNormEps());
            this.act = Activation.named(c.activationFunction());
        }

        /** @param phraseMask the additive phrase mask [B, 1, T, T] */
        NDArray forward(NDArray text, NDArray phraseMask, NDArray positions) {
            NDArray qk = text.add(positions);
            NDArray h = before.forward(text.add(attention.forward(qk, qk, text, phraseMask)));
            return after.forward(fc2.forward(fc1.forward(h, act)).add(h));
        }
    }

    /**
     * Post-norm self-attention of the queries, cross-attention to the text, multi-scale deformable cross-attention to
     * the image tokens around each query's reference box, and a ReLU MLP.
     */
    private static final class DecoderLayer {
        private final MultiheadAttention self;
        private final LayerNorm selfNorm;
        private final MultiheadAttention text;
        private final LayerNorm textNorm;
        private final DeformableAttention image;
        private final LayerNorm imageNorm;
        private final Linear fc1;
        private final Linear fc2;
        private final LayerNorm finalNorm;
        private final UnaryOperator<NDArray> act;

        DecoderLayer(Parameters p, GroundingDinoConfig c) {
            long d = c.dModel();
            int heads = c.decoderAttentionHeads();
            this.self = new MultiheadAttention(p.child("self_attn"), d, heads);
            this.selfNorm = new LayerNorm(p.child("self_attn_layer_norm"), d, c.layerNormEps());
            this.text = new MultiheadAttention(p.child("encoder_attn_text"), d, heads);
            this.textNorm = new LayerNorm(p.child("encoder_attn_text_layer_norm"), d, c.layerNormEps());
            this.image = new DeformableAttention(p.child("encoder_attn"), d, heads, c.numFeatureLevels(), c.decoderNPoints());
            this.imageNorm = new LayerNorm(p.child("encoder_attn_layer_norm"), d, c.layerNormEps());
            this.fc1 = new Linear(p.child("fc1"), d, c.decoderFfnDim(), true);
            this.fc2 = new Linear(p.child("fc2"), c.decoderFfnDim(), d, true);
            this.finalNorm = new LayerNorm(p.child("final_layer_norm"), d, c.layerNormEps());
            this.act = Activation.named(c.activationFunction());
        }

        NDArray forward(NDArray hidden, NDArray position, NDArray reference, Encoded e, NDArray textPadding) {
            NDArray qk = hidden.add(position);
            NDArray h = selfNorm.forward(hidden.add(self.forward(qk, qk, hidden, null)));
            h = textNorm.forward(h.add(text.forward(h.add(position), e.text(), e.text(), textPadding)));
            h = imageNorm.forward(h.add(image.forward(h.add(position), e.vision(), e.visionMask(), reference, e.shapes())));
            return finalNorm.forward(fc2.forward(fc1.forward(h, act)).add(h));
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
            return finalNorm.forward(fc2.forward(fc1.forward(h, act)).add(h));
        }
    }
}
