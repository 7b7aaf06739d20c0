package org.editstream.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import org.editstream.models.ModelException;

import java.util.ArrayList;
import java.util.List;

/**
 * A diffusers {@code UNet2DConditionModel} {@code config.json}. Numbers that may be given once or per block
 * ({@code attention_head_dim}, {@code num_attention_heads}, {@code transformer_layers_per_block},
 * {@code layers_per_block}) are resolved per down block; options this engine does not build are refused.
 */
public record UNetConfig(
        Integer inChannels,
        Integer outChannels,
        List<Integer> blockOutChannels,
        List<String> downBlockTypes,
        List<String> upBlockTypes,
        String midBlockType,
        JsonNode layersPerBlock,
        JsonNode attentionHeadDim,
        JsonNode numAttentionHeads,
        JsonNode crossAttentionDim,
        JsonNode transformerLayersPerBlock,
        Boolean useLinearProjection,
        Integer normNumGroups,
        Double normEps,
        Boolean flipSinToCos,
        Integer freqShift,
        Integer downsamplePadding,
        Double midBlockScaleFactor,
        Integer convInKernel,
        Integer convOutKernel,
        String actFn,
        String timeEmbeddingType,
        String resnetTimeScaleShift,
        String classEmbedType,
        String additionEmbedType,
        JsonNode onlyCrossAttention,
        Boolean dualCrossAttention,
        Integer timeCondProjDim,
        String encoderHidDimType,
        Integer sampleSize) {

    public UNetConfig {
        inChannels = inChannels == null ? 4 : inChannels;
        sampleSize = sampleSize == null ? 64 : sampleSize;
        outChannels = outChannels == null ? 4 : outChannels;
        blockOutChannels = blockOutChannels == null ? List.of(320, 640, 1280, 1280) : List.copyOf(blockOutChannels);
        downBlockTypes = downBlockTypes == null ? List.of("CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                "CrossAttnDownBlock2D", "DownBlock2D") : List.copyOf(downBlockTypes);
        upBlockTypes = upBlockTypes == null ? List.of("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                "CrossAttnUpBlock2D") : List.copyOf(upBlockTypes);
        midBlockType = midBlockType == null ? "UNetMidBlock2DCrossAttn" : midBlockType;
        useLinearProjection = useLinearProjection != null && useLinearProjection;
        normNumGroups = normNumGroups == null ? 32 : normNumGroups;
        normEps = normEps == null ? 1e-5 : normEps;
        flipSinToCos = flipSinToCos == null || flipSinToCos;
        freqShift = freqShift == null ? 0 : freqShift;
        downsamplePadding = downsamplePadding == null ? 1 : downsamplePadding;
        midBlockScaleFactor = midBlockScaleFactor == null ? 1.0 : midBlockScaleFactor;
        convInKernel = convInKernel == null ? 3 : convInKernel;
        convOutKernel = convOutKernel == null ? 3 : convOutKernel;
        actFn = actFn == null ? "silu" : actFn;
        timeEmbeddingType = timeEmbeddingType == null ? "positional" : timeEmbeddingType;
        resnetTimeScaleShift = resnetTimeScaleShift == null ? "default" : resnetTimeScaleShift;
        int blocks = blockOutChannels.size();
        if (downBlockTypes.size() != blocks || upBlockTypes.size() != blocks) {
            throw new ModelException("unet config: " + blocks + " block_out_channels but " + downBlockTypes.size()
                    + " down and " + upBlockTypes.size() + " up block types");
        }
        refuse(classEmbedType != null, "class_embed_type " + classEmbedType);
        refuse(additionEmbedType != null, "addition_embed_type " + additionEmbedType);
        refuse(timeCondProjDim != null, "time_cond_proj_dim");
        refuse(encoderHidDimType != null, "encoder_hid_dim_type " + encoderHidDimType);
        refuse(dualCrossAttention != null && dualCrossAttention, "dual_cross_attention");
        refuse(onlyCrossAttention != null && onlyCrossAttention.asBoolean(false), "only_cross_attention");
        refuse(!"positional".equals(timeEmbeddingType), "time_embedding_type " + timeEmbeddingType);
        refuse(!"default".equals(resnetTimeScaleShift), "resnet_time_scale_shift " + resnetTimeScaleShift);
        refuse(!"UNetMidBlock2DCrossAttn".equals(midBlockType), "mid_block_type " + midBlockType);
        for (String type : downBlockTypes) {
            refuse(!type.equals("DownBlock2D") && !type.equals("CrossAttnDownBlock2D"), "down block " + type);
        }
        for (String type : upBlockTypes) {
            refuse(!type.equals("UpBlock2D") && !type.equals("CrossAttnUpBlock2D"), "up block " + type);
        }
    }

    private static void refuse(boolean unsupported, String what) {
        if (unsupported) {
            throw new ModelException("unet config: " + what + " is not supported by this engine");
        }
    }

    public int blocks() {
        return blockOutChannels.size();
    }

    /**
     * Attention heads per down block. diffusers names the head COUNT {@code attention_head_dim} in these configs
     * (kept for compatibility); {@code num_attention_heads}, when given, wins.
     */
    public List<Integer> headsPerBlock() {
        JsonNode heads = numAttentionHeads != null && !numAttentionHeads.isNull() ? numAttentionHeads : attentionHeadDim;
        return perBlock(heads, 8, "attention_head_dim");
    }

    /** Transformer blocks per attention, per down block. */
    public List<Integer> transformerLayers() {
        return perBlock(transformerLayersPerBlock, 1, "transformer_layers_per_block");
    }

    /** ResNets per down block (up blocks have one more). */
    public List<Integer> resnetsPerBlock() {
        return perBlock(layersPerBlock, 2, "layers_per_block");
    }

    /** Width of the text states the cross-attention reads. */
    public int contextDim() {
        if (crossAttentionDim == null || crossAttentionDim.isNull()) {
            return 1280;
        }
        if (!crossAttentionDim.isInt()) {
            throw new ModelException("unet config: cross_attention_dim per block is not supported");
        }
        return crossAttentionDim.asInt();
    }

    public int timeEmbeddingDim() {
        return blockOutChannels.get(0) * 4;
    }

    private List<Integer> perBlock(JsonNode value, int fallback, String name) {
        List<Integer> out = new ArrayList<>();
        if (value == null || value.isNull()) {
            for (int i = 0; i < blocks(); i++) {
                out.add(fallback);
            }
        } else if (value.isArray()) {
            if (value.size() != blocks()) {
                throw new ModelException("unet config: " + name + " lists " + value.size() + " values for "
                        + blocks() + " blocks");
            }
            value.forEach(v -> out.add(v.asInt()));
        } else {
            for (int i = 0; i < blocks(); i++) {
                out.add(value.asInt());
            }
        }
        return out;
    }
}
